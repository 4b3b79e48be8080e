"""Pictures to a Pose: video and camera input, MediaPipe, smoothing, leg label fixes."""
