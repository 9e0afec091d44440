//! In-memory fakes of the ports, for tests (feature `testing`).
