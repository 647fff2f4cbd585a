//! Every Outlook on the web host of every cloud (`microsoft::outlook_web_hosts`) is where the
//! extension's in-mail banner runs and where the add-in's manifests let it go: outlook.com's,
//! Microsoft 365's old hosts and `outlook.cloud.microsoft`, and the national clouds'.

use std::path::Path;
use tokenwatch_core::microsoft::outlook_web_hosts;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_banner_runs_on_every_outlook_on_the_web_host() {
    let manifest: serde_json::Value =
        serde_json::from_str(&read("extension/manifest.json")).unwrap();
    let banner = manifest["content_scripts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["js"][0] == "banner.js")
        .expect("the banner's content script");
    let matches: Vec<&str> = banner["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for host in outlook_web_hosts() {
        assert!(
            matches.contains(&format!("https://{host}/*").as_str()),
            "the banner does not run on {host}"
        );
    }
    assert_eq!(
        matches.len(),
        outlook_web_hosts().count(),
        "and nowhere else"
    );
}

#[test]
fn the_add_ins_manifests_list_every_outlook_on_the_web_host() {
    let xml = read("www/manifest.xml");
    let unified: serde_json::Value = serde_json::from_str(&read("www/manifest.json")).unwrap();
    let valid: Vec<&str> = unified["validDomains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for host in outlook_web_hosts() {
        assert!(
            xml.contains(&format!("<AppDomain>https://{host}</AppDomain>")),
            "manifest.xml lacks {host}"
        );
        assert!(valid.contains(&host), "manifest.json lacks {host}");
    }
}
