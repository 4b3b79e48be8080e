"""Many recordings at once (issue 23): which videos, where each analysis goes, the runner that
spreads them over the machine's cores, and the summary table of the batch."""
