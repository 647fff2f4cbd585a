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

/// The add-in's sign-in start page goes only to sign-in hosts it allows; its list of
/// Microsoft's is the core's, cloud by cloud.
#[test]
fn the_add_ins_start_page_allows_every_microsoft_sign_in_host_and_no_other() {
    let script = read("www/auth/start.js");
    let start = script.find("const MICROSOFT = [").expect("the list");
    let end = start + script[start..].find("];").expect("its end");
    let listed: Vec<&str> = script[start..end].split('\'').skip(1).step_by(2).collect();
    let mut expected: Vec<&str> = tokenwatch_core::microsoft::Cloud::ALL
        .iter()
        .flat_map(|c| c.authority_hosts().iter().copied())
        .collect();
    expected.sort_unstable();
    expected.dedup();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
}
