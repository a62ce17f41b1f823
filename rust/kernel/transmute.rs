// SPDX-License-Identifier: GPL-2.0

//! Traits for transmuting types, at mainline's path.
//!
//! [`FromBytes`] (any bit pattern is a valid value) and [`AsBytes`] (no uninitialised bytes)
//! live in [`kernel::types`] on 6.12; mainline moved them here. Both paths name the same traits,
//! with mainline's conversion methods (`from_bytes`, `from_bytes_mut`, `from_bytes_copy`,
//! `as_bytes`, `as_bytes_mut`).
//!
//! [`kernel::types`]: crate::types

pub use crate::types::{AsBytes, FromBytes};
