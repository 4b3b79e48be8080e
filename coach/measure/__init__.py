"""A Pose to angles: SPEC.md's measures (pure functions) and the back's silhouette."""
