//! Tokenwatch browser shell.
