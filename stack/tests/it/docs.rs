//! The signature-verification snippets of docs/webhooks.md, run as written
//! against IPNs signed by a running gateway, so the documentation cannot
//! drift from what Paygate sends.

use std::{collections::HashMap, path::Path, process::Command};

use serde_json::json;

use crate::helpers::*;

/// The fenced code block that follows `<!-- snippet: NAME -->`.
fn snippet(name: &str) -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/webhooks.md"))
        .expect("docs/webhooks.md");
    let marker = format!("<!-- snippet: {name} -->");
    let after = &doc[doc.find(&marker).unwrap_or_else(|| panic!("no snippet {name}")) + marker.len()..];
    let fence = after.find("```").expect("opening fence");
    let body = &after[fence..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    body[..body.find("\n```").expect("closing fence")].to_owned()
}

struct Case {
    name: &'static str,
    body: Vec<u8>,
    headers: HashMap<String, String>,
    secret: String,
}

/// Runs `verify` (a Python or Node harness) on each case; returns what it
/// printed per case: `accepted` or `rejected: …`.
fn run_cases(dir: &Path, program: &str, harness_file: &str, harness: &str, cases: &[Case]) -> Vec<String> {
    let harness_path = dir.join(harness_file);
    std::fs::write(&harness_path, harness).expect("write harness");
    cases
        .iter()
        .map(|case| {
            let body_path = dir.join(format!("{}.body", case.name));
            let headers_path = dir.join(format!("{}.headers.json", case.name));
            std::fs::write(&body_path, &case.body).expect("write body");
            std::fs::write(&headers_path, serde_json::to_vec(&case.headers).expect("headers")).expect("write headers");
            let output = Command::new(program)
                .arg(&harness_path)
                .arg(&body_path)
                .arg(&headers_path)
                .arg(&case.secret)
                .output()
                .unwrap_or_else(|err| panic!("{program} must be installed to test the docs: {err}"));
            assert!(output.status.success(), "{program} failed: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        })
        .collect()
}

fn python_harness(snippet_file: &Path, function: &str) -> String {
    format!(
        r#"import json, sys
namespace = {{}}
exec(open({snippet:?}).read(), namespace)
body = open(sys.argv[1], "rb").read()
headers = json.load(open(sys.argv[2]))
try:
    namespace[{function:?}](body, headers, sys.argv[3])
    print("accepted")
except ValueError as err:
    print("rejected:", err)
"#,
        snippet = snippet_file.display().to_string(),
    )
}

fn node_harness(snippet_file: &Path) -> String {
    format!(
        r#"import {{ readFileSync }} from "node:fs";
const {{ verifyIpn }} = await import({url:?});
const body = readFileSync(process.argv[2]);
const headers = JSON.parse(readFileSync(process.argv[3], "utf8"));
try {{
  verifyIpn(body, headers, process.argv[4]);
  console.log("accepted");
}} catch (err) {{
  console.log("rejected: " + err.message);
}}
"#,
        url = format!("file://{}", snippet_file.display()),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_verification_snippets_accept_real_ipns_and_reject_forgeries() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let receiver = IpnReceiver::always_ok().await;
    let checkout = app.checkout_with(&org, json!({"ipnUrl": receiver.url})).await;
    app.pay(checkout["id"].as_str().unwrap(), &json!({"paymentMethod": "tok_visa"})).await;
    let ipn = eventually(20, "an IPN", || async { receiver.all().into_iter().next() }).await;

    let genuine = Case {
        name: "genuine",
        body: ipn.body.clone().into_bytes(),
        headers: ipn.headers.clone(),
        secret: org.webhook_secret.clone(),
    };
    let mut tampered_body = ipn.body.clone().into_bytes();
    // `"amount":11900` → `"amount":91900`: one changed byte.
    let at = ipn.body.find("\"amount\":").expect("amount in body") + "\"amount\":".len();
    tampered_body[at] = b'9';
    let tampered = Case { name: "tampered", body: tampered_body, ..genuine_clone(&genuine) };
    // Another valid secret: one base64 character of the key changed.
    let mut other_secret = org.webhook_secret.clone().into_bytes();
    let middle = other_secret.len() / 2;
    other_secret[middle] = if other_secret[middle] == b'A' { b'B' } else { b'A' };
    let wrong_secret = Case {
        name: "wrong-secret",
        secret: String::from_utf8(other_secret).expect("ascii"),
        ..genuine_clone(&genuine)
    };
    // Correctly signed, but an hour old: a replayed capture.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let stale_timestamp = i64::try_from(now).expect("seconds") - 3600;
    let stale_headers: HashMap<String, String> = paygate_core::signing::headers(
        &org.webhook_secret,
        None,
        &ipn.headers["webhook-id"],
        stale_timestamp,
        ipn.body.as_bytes(),
    )
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let stale = Case { name: "stale", headers: stale_headers, ..genuine_clone(&genuine) };
    let mut no_signature = genuine_clone(&genuine);
    no_signature.name = "unsigned";
    no_signature.headers.retain(|name, _| !name.contains("signature"));
    let cases = [genuine, tampered, wrong_secret, stale, no_signature];
    let expected_accepted = [true, false, false, false, false];

    let dir = tempfile::tempdir().expect("temp dir");
    let python_snippets = [("verify_ipn.py", "verify_ipn"), ("verify_standard_webhook.py", "verify_standard_webhook")];
    for (file, function) in python_snippets {
        let path = dir.path().join(file);
        std::fs::write(&path, snippet(file)).expect("write snippet");
        let results = run_cases(dir.path(), "python3", "harness.py", &python_harness(&path, function), &cases);
        for ((case, accepted), result) in cases.iter().zip(expected_accepted).zip(&results) {
            assert_eq!(result == "accepted", accepted, "{file} on the {} IPN said {result}", case.name);
        }
    }
    let node_snippet = dir.path().join("verify_ipn.mjs");
    std::fs::write(&node_snippet, snippet("verify_ipn.mjs")).expect("write snippet");
    let results = run_cases(dir.path(), "node", "harness.mjs", &node_harness(&node_snippet), &cases);
    for ((case, accepted), result) in cases.iter().zip(expected_accepted).zip(&results) {
        assert_eq!(result == "accepted", accepted, "verify_ipn.mjs on the {} IPN said {result}", case.name);
    }
    app.stop().await;
}

fn genuine_clone(case: &Case) -> Case {
    Case { name: case.name, body: case.body.clone(), headers: case.headers.clone(), secret: case.secret.clone() }
}
