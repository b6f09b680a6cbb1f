//! A minimal Tauri "hello" app: one window, one page, one command. The app benchmark
//! (`scripts/bench-app.sh`) starts it beside Pressroom, built the same way, and compares
//! memory and time to interactive.

/// The page calls this once it is up; the benchmark watches for the line.
#[tauri::command]
fn ready() {
    println!("interactive");
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("the hello window could not start");
}
