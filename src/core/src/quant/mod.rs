//! Quantitative core: Black-Scholes-Merton pricing, greeks and implied volatility, TA-Lib-exact
//! technical indicators, swing support and resistance, and the reference file formats.
//!
//! Everything here is pure computation on `f64` slices and values: no I/O, no clock, no
//! allocation beyond the returned results. The conventions (units, TA-Lib seeding quirks, edge
//! cases, tolerances) are those of the quant reference README, copied with its public cases to
//! `testdata/quant/`, against which the tests check this module.

pub mod bsm;
pub mod indicators;
pub mod io;
pub mod levels;
pub mod normal;
