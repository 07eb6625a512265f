// Keeps a console window from opening next to Tern on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tern_lib::run();
}
