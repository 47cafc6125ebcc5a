//! A real `nats-server` child process per test.
