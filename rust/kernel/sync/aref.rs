// SPDX-License-Identifier: GPL-2.0

//! Internal reference counting support, at mainline's path.
//!
//! Mainline moved [`ARef`] and [`AlwaysRefCounted`] from `kernel::types` to `kernel::sync::aref`;
//! on 6.12 they stay in [`kernel::types`] and are re-exported here, so that driver code written
//! for either path builds.
//!
//! [`kernel::types`]: crate::types

pub use crate::types::{ARef, AlwaysRefCounted};
