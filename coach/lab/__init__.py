"""Development tools, not the product: evaluation, benchmarks, ground truth, contact sheets."""
