#![allow(clippy::unwrap_used)]
use paygate_core::vat::{check_format, normalize};
#[test]
fn xcheck() {
    let text = std::fs::read_to_string("/tmp/vatx/cases.tsv").unwrap();
    let mut mismatches = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in text.lines() {
        let (input, py) = line.split_once('\t').unwrap();
        let ours = normalize(input).and_then(|id| check_format(&id)).is_ok();
        if ours != (py == "1") {
            mismatches
                .entry(input[..2].to_owned())
                .or_default()
                .push(format!("{input} py={py} ours={ours} {:?}", normalize(input).and_then(|id| check_format(&id))));
        }
    }
    for (cc, list) in &mismatches {
        println!("{cc}: {} mismatches, e.g. {:?}", list.len(), &list[..list.len().min(4)]);
    }
}
