//! The admin API that tests and the demo use to script the simulator over HTTP.
//!
//! `GET /admin/health`, `GET /admin/counters`, `GET /admin/issued-tokens` (for leak searches),
//! `GET /admin/approvals?username=…` (the user's live Salesforce approvals), `POST /admin/faults` (JSON [`crate::Faults`]),
//! `POST /admin/expire-access` (form `username=` for one user's, or every access token
//! without it), `POST /admin/revoke-user`, `POST /admin/deactivate-user`,
//! `POST /admin/change-password` (form `username=`), `POST /admin/rotation` (`on`/`off`),
//! `POST /admin/refresh-policy` (JSON [`crate::RefreshPolicy`]), `POST /admin/partner-rules`
//! (`on`/`off`: the rules for apps used in many orgs), `POST /admin/app-scopes` (the connected
//! app's Selected OAuth Scopes, space-separated); Microsoft:
//! `POST /admin/ms-sign-out` (form `username=`, or every session without it),
//! `POST /admin/ms-registration` (form `client_id=…&registration=spa|public_client`),
//! `POST /admin/revoke-consent` (form `username=`).

use crate::form::{one, pairs};
use crate::{Faults, Sim, SimRequest, SimResponse, json, text};
use http::{Method, StatusCode};

pub(crate) fn handle(sim: &Sim, endpoint: &str, req: &SimRequest) -> SimResponse {
    match (req.method(), endpoint) {
        (&Method::GET, "health") => text(StatusCode::OK, "ok"),
        (&Method::GET, "issued-tokens") => {
            json(StatusCode::OK, &serde_json::json!(sim.issued_tokens()))
        }
        (&Method::GET, "approvals") => {
            let query = req.uri().query().unwrap_or_default().as_bytes().to_vec();
            let params = pairs(&query);
            match one(&params, "username").and_then(|u| sim.approvals(u)) {
                Some(n) => json(StatusCode::OK, &serde_json::json!(n)),
                None => text(StatusCode::NOT_FOUND, "no such user"),
            }
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
            let params = pairs(req.body());
            match one(&params, "username") {
                None => sim.expire_access_tokens(),
                Some(u) if sim.expire_access_tokens_of(u) => {}
                Some(_) => return text(StatusCode::NOT_FOUND, "no such user"),
            }
            text(StatusCode::OK, "expired")
        }
        (&Method::POST, "rotation") => {
            let on = req.body().as_slice() == b"on";
            sim.set_rotation(on);
            text(
                StatusCode::OK,
                if on { "rotation on" } else { "rotation off" },
            )
        }
        (&Method::POST, "partner-rules") => {
            let on = req.body().as_slice() == b"on";
            sim.set_partner_rules(on);
            text(
                StatusCode::OK,
                if on {
                    "partner rules on"
                } else {
                    "partner rules off"
                },
            )
        }
        (&Method::POST, "app-scopes") => {
            let scopes: Vec<String> = String::from_utf8_lossy(req.body())
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            sim.set_app_scopes(scopes);
            text(StatusCode::OK, "scopes set")
        }
        (&Method::POST, "refresh-policy") => {
            match serde_json::from_slice::<crate::RefreshPolicy>(req.body()) {
                Ok(p) => {
                    sim.set_refresh_policy(p);
                    text(StatusCode::OK, "policy set")
                }
                Err(e) => text(StatusCode::BAD_REQUEST, &format!("bad policy: {e}")),
            }
        }
        (&Method::POST, "deactivate-user" | "change-password") => {
            let params = pairs(req.body());
            let user = one(&params, "username").unwrap_or_default();
            let done = if endpoint == "deactivate-user" {
                sim.set_user_active(user, false)
            } else {
                sim.change_password(user)
            };
            if done {
                text(StatusCode::OK, "done")
            } else {
                text(StatusCode::NOT_FOUND, "no such user")
            }
        }
        (&Method::POST, "ms-sign-out") => {
            let params = pairs(req.body());
            sim.sign_out_microsoft(one(&params, "username"));
            text(StatusCode::OK, "signed out")
        }
        (&Method::POST, "ms-registration") => {
            let params = pairs(req.body());
            let registration = match one(&params, "registration") {
                Some("spa") => crate::MsRegistration::Spa,
                Some("public_client") => crate::MsRegistration::PublicClient,
                Some("web") => crate::MsRegistration::Web,
                _ => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        "registration must be spa, public_client or web",
                    );
                }
            };
            match one(&params, "client_id") {
                Some(id) if sim.config().ms_apps.iter().any(|a| a.client_id == id) => {
                    sim.set_ms_registration(id, registration);
                    text(StatusCode::OK, "registration set")
                }
                _ => text(StatusCode::NOT_FOUND, "no such app"),
            }
        }
        (&Method::POST, "revoke-consent") => {
            let params = pairs(req.body());
            match one(&params, "username") {
                Some(u) if sim.revoke_ms_consent(u) => text(StatusCode::OK, "consent revoked"),
                _ => text(StatusCode::NOT_FOUND, "no such user"),
            }
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
