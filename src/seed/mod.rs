//! Seeding: production-scale synthetic data from declarative generators, loaded by binary COPY.
//!
//! Definitions (`data-generators/*.toml`, the scenario's `[dataset]`) are resolved against the
//! catalog after the baseline; tables and columns without one are inferred from their type, name
//! and constraints. Everything is validated before the first row is generated. Generation is a
//! pure function of (seed, table, column, row), so the same seed gives byte-identical data
//! whatever the thread scheduling. Seeding never changes the schema: indexes and constraints
//! dropped for speed are recreated from their own definitions.

pub mod copy;
pub mod definition;
pub mod generator;
pub mod rng;
