//! The kit (being written).
