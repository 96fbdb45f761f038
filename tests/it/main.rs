//! The one integration-test binary (ripgrep-style): every file here is a module, so the
//! suite links against the bundled SQLite once instead of once per file.

mod architecture;
mod bad_input;
mod check_answers;
mod check_pty;
mod cli_basics;
#[allow(dead_code)] // each test module uses a different subset of the helpers
mod common;
mod config_cli;
mod crypt;
mod doctor_sees;
mod encounters_cli;
mod export_cli;
mod file_modes;
mod flow_cli;
mod flow_pty;
mod follow;
mod guidance_scenarios;
mod guidance_validate;
mod hostile_text;
mod no_panic;
#[allow(dead_code)] // each test module uses a different subset of the helpers
mod pty;
mod scene_pty;
mod scenes;
mod search_cli;
mod search_relevance;
mod search_stems;
mod shell_cli;
mod store_durability;
mod store_migrations;
mod sync_conflicts;
mod sync_content;
mod sync_e2e;
mod sync_proptest;
mod sync_safety;
mod sync_sealed;
mod sync_stream;
