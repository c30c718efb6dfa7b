"""Gallery discovery, image decoding and ground-truth annotations."""
