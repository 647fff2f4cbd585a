//! The admin API that tests and the demo use to script the simulator over HTTP.
//!
//! `GET /admin/health`, `GET /admin/counters`, `GET /admin/issued-tokens` (for leak searches), `POST /admin/faults` (JSON [`crate::Faults`]),
//! `POST /admin/expire-access`, `POST /admin/revoke-user` (form `username=`).

use crate::form::{one, pairs};
use crate::{Faults, Sim, SimRequest, SimResponse, json, text};
use http::{Method, StatusCode};

pub(crate) fn handle(sim: &Sim, endpoint: &str, req: &SimRequest) -> SimResponse {
    match (req.method(), endpoint) {
        (&Method::GET, "health") => text(StatusCode::OK, "ok"),
        (&Method::GET, "issued-tokens") => {
            json(StatusCode::OK, &serde_json::json!(sim.issued_tokens()))
        }
        (&Method::GET, "counters") => json(
            StatusCode::OK,
            &serde_json::to_value(sim.counters()).unwrap_or_default(),
        ),
        (&Method::POST, "faults") => match serde_json::from_slice::<Faults>(req.body()) {
            Ok(f) => {
                sim.set_faults(f.clone());
                json(StatusCode::OK, &serde_json::to_value(f).unwrap_or_default())
            }
            Err(e) => text(StatusCode::BAD_REQUEST, &format!("bad faults: {e}")),
        },
        (&Method::POST, "expire-access") => {
            sim.expire_access_tokens();
            text(StatusCode::OK, "expired")
        }
        (&Method::POST, "revoke-user") => {
            let params = pairs(req.body());
            match one(&params, "username") {
                Some(u) if sim.revoke_user(u) => text(StatusCode::OK, "revoked"),
                _ => text(StatusCode::NOT_FOUND, "no such user"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}
