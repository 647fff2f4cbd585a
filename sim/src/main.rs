//! `tokenwatch-sim`: the provider simulator on 127.0.0.1.
//!
//! ```text
//! tokenwatch-sim [--port N] [--app CLIENT_ID=CALLBACK[,CALLBACK…]] [--users N] [--exit-on-stdin-close]
//! ```
//! `--users N` adds `user1@org1.example` … `userN@orgN.example` (password `tokenwatch`), each
//! in an org of their own, beside the demo people.
//! Prints `listening on http://127.0.0.1:PORT` once ready. With `--exit-on-stdin-close` it stops
//! when its parent closes stdin (or dies), so a crashed test run never leaves it behind.

use std::io::Read;
use std::sync::Arc;
use tokenwatch_sim::{Config, Sim, server};

fn main() {
    let mut port = 17300u16;
    let mut app: Option<(String, Vec<String>)> = None;
    let mut watch_stdin = false;
    let mut numbered = 0u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage("--port needs a number"))
            }
            "--app" => {
                let spec = args
                    .next()
                    .unwrap_or_else(|| usage("--app needs CLIENT_ID=CALLBACK"));
                let (id, cbs) = spec
                    .split_once('=')
                    .unwrap_or_else(|| usage("--app needs CLIENT_ID=CALLBACK"));
                app = Some((id.to_owned(), cbs.split(',').map(str::to_owned).collect()));
            }
            "--users" => {
                numbered = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage("--users needs a number"))
            }
            "--exit-on-stdin-close" => watch_stdin = true,
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let (client_id, callbacks) = app.unwrap_or_else(|| usage("--app is required"));
    let sim = Arc::new(Sim::new(
        Config::demo(&client_id, callbacks).with_numbered_users(numbered),
        "http://127.0.0.1",
        Sim::system_clock(),
    ));
    let running = server::serve(sim, port).unwrap_or_else(|e| {
        eprintln!("tokenwatch-sim: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    println!("listening on {}", running.url());
    if watch_stdin {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    } else {
        loop {
            std::thread::park();
        }
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("tokenwatch-sim: {problem}");
    }
    eprintln!(
        "usage: tokenwatch-sim [--port N] --app CLIENT_ID=CALLBACK[,CALLBACK…] [--users N] [--exit-on-stdin-close]"
    );
    std::process::exit(2);
}
