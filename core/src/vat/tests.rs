//! Normalisation and every country's rules against published numbers.
//!
//! Unless noted, the numbers come from python-stdnum's test data
//! (`tests/test_eu_vat.doctest`: real numbers found online, and the same
//! numbers with a mangled check digit) or from the examples in its
//! per-country modules (`stdnum/<cc>/…`). Those noted "altered" are a valid
//! number of the list with its check digit changed.

#![allow(clippy::unwrap_used)]

use super::*;

/// Numbers written as people write them, one country per entry.
struct Vectors {
    prefix: &'static str,
    valid: &'static [&'static str],
    bad_checksum: &'static [&'static str],
}

const VECTORS: &[Vectors] = &[
    Vectors {
        prefix: "AT",
        valid: &["ATU 142 43 102", "ATU13585627", "ATU 64487479", "ATU 54300000"],
        bad_checksum: &["ATU 143 43 102", "ATU 15169209", "ATU46080904", "ATU61191628"],
    },
    Vectors {
        prefix: "BE",
        // 9-digit and "(0)" forms are the pre-2005 notation.
        valid: &["BE 0202.239.951", "BE 444.503.092", "BE (0)468.561.072", "BE0428759497"],
        bad_checksum: &["BE 0406.139.583", "BE 0793 013 186", "BE 456.973.432", "BE697449982"],
    },
    Vectors {
        prefix: "BG",
        // Company (both passes), EGN, PNF and "other" (stdnum test_bg_vat).
        valid: &["BG 175074752", "BG 131 272 009", "BG7523169263", "BG7542011030", "BG7111042925", "BG 7153849522"],
        bad_checksum: &["BG 1037735942", "BG 131 172 009", "BG 147147471", "BG 200940556"],
    },
    Vectors {
        prefix: "CY",
        valid: &["CY 10246672X", "CY-10259033P", "CY00632993 F"],
        bad_checksum: &["CY 10246672F", "CY-10009489 A", "CY-10257074Y", "CY00632893 F"],
    },
    Vectors {
        prefix: "CZ",
        // Company, the 9-digit "6…" form, 10- and 9-digit birth numbers.
        valid: &["CZ 25123891", "CZ00023205", "CZ 640903926", "CZ 682127228", "CZ 6956220612", "CZ 736028/5163"],
        bad_checksum: &["CZ 25557481", "CZ 48207726", "CZ 640913926", "CZ 8058018314"],
    },
    Vectors {
        prefix: "DE",
        valid: &["DE 136695976", "DE 118619592", "DE - 113866163", "DE 221.304.969"],
        bad_checksum: &["DE 125014855", "DE 246 495 415", "DE 813 91 38 75", "DE - 266297673"],
    },
    Vectors {
        prefix: "DK",
        valid: &["DK 10 50 32 80", "DK-27630308", "DK: 21599336"],
        bad_checksum: &["DK 11 96 56 58", "DK 2565 2202", "DK-27996592", "DK10159817"],
    },
    Vectors {
        prefix: "EE",
        valid: &["EE 100 931 558", "EE101256753", "EE 100594102"],
        bad_checksum: &["EE 100 941 558", "EE 100525487", "EE 101586639", "EE101256754"],
    },
    Vectors {
        prefix: "EL",
        // "GR" is read as Greece's VAT prefix; 8 digits is the old AFM.
        valid: &["EL 094012834", "EL 94051189", "El 800 179 925", "GR 094259216"],
        bad_checksum: &["EL 094013834", "EL 094068733", "EL094501140", "EL: 094269805"],
    },
    Vectors {
        prefix: "ES",
        // DNI, NIE, CIF with digit and with letter, K/L/M (stdnum test_es_nif).
        valid: &["ES 54362315K", "ES X-5253868-R", "ES-x-2482300w", "ES B-58378431", "ES Q-2818015-F", "ES L1111111G"],
        bad_checksum: &["ES 54362415K", "ES K-2814015-F", "ES-x-2322300w", "Es-a48951310"],
    },
    Vectors {
        prefix: "FI",
        // "FI 20774741" is from stdnum fi/alv; "FI 02459043" altered.
        valid: &["FI 0982651-1", "FI 20774740", "FI- 01968312"],
        bad_checksum: &["FI 20774741", "FI 02459043"],
    },
    Vectors {
        prefix: "FR",
        // Numeric key, alphanumeric keys (stdnum fr/tva), Monaco.
        valid: &["Fr 40 303 265 045", "FR 61 954 506 077", "FR K 7399859412", "FR 4Z123456782", "FR32000000330"],
        bad_checksum: &["FR 04409414264", "FR 21 326 565 603", "FR K 7399859312", "FR L 7399859412"],
    },
    Vectors {
        prefix: "HR",
        // stdnum has one Croatian number (hr/oib); the second is from jsvat's
        // test list. "HR33392005962" is stdnum's; "HR23448731484" altered.
        valid: &["HR 33392005961", "HR23448731483"],
        bad_checksum: &["HR33392005962", "HR23448731484"],
    },
    Vectors {
        prefix: "HU",
        // "HU-12892313" is from stdnum hu/anum; "HU 10672102" altered.
        valid: &["HU 10672101", "HU-12892312", "HU -12509403"],
        bad_checksum: &["HU-12892313", "HU 10672102"],
    },
    Vectors {
        prefix: "IE",
        // New, old (second character a letter) and 2013 two-letter forms.
        valid: &["IE 6433435F", "IE 632 3420 C", "IE8D79739I", "IE9Y71814N", "IE6433435IH", "IE6433435OA"],
        // "IE6433435VH" is from stdnum ie/pps.
        bad_checksum: &["IE 4731823H", "IE 632 3421 C", "IE 5339273F", "IE8D79729I", "IE6433435VH"],
    },
    Vectors {
        prefix: "IT",
        // "IT 00743110158" is from stdnum it/iva; "IT 01404480203" altered.
        valid: &["IT 00743110157", "IT - 01404480202", "IT 0 0 6 1 8 2 8 0 4 9 9"],
        bad_checksum: &["IT 00743110158", "IT 01404480203"],
    },
    Vectors {
        prefix: "LT",
        // 9 digits, 12 digits, and one needing the second pass (stdnum lt/pvm).
        valid: &["LT 119511515", "LT 100001919017", "LT100004801610"],
        // "LT 100001919018" is from stdnum lt/pvm; "LT 119511516" altered.
        bad_checksum: &["LT 100001919018", "LT 119511516"],
    },
    Vectors {
        prefix: "LU",
        // "LU 150 274 43" is from stdnum lu/tva; "LU 10059928" altered.
        valid: &["LU 150 274 42", "LU 10059929", "LU.248.70.640"],
        bad_checksum: &["LU 150 274 43", "LU 10059928"],
    },
    Vectors {
        prefix: "LV",
        // Companies and a personal code (stdnum lv/pvn).
        valid: &["LV 4000 3521 600", "LV 40003189718", "LV 161175-19997"],
        bad_checksum: &["LV 40003189715", "LV 90000528022", "LV-10103241337", "LV-42103048181"],
    },
    Vectors {
        prefix: "MT",
        // "MT 1167-9113" is from stdnum mt/vat; "MT 20630322" altered.
        valid: &["MT 1167-9112", "MT 1039-6417", "MT 20630321"],
        bad_checksum: &["MT 1167-9113", "MT 20630322"],
    },
    Vectors {
        prefix: "NL",
        // RSIN-based (with dropped leading zeros) and a sole trader's
        // MOD 97-10 number. "NL123456789B90" is from stdnum nl/btw;
        // "NL 806753741B01" altered.
        valid: &["NL4495445B01", "NL 806753742B01", "NL-8197.38.116.B.01", "NL002455799B11", "NL001162938B28"],
        bad_checksum: &["NL123456789B90", "NL 806753741B01"],
    },
    Vectors {
        prefix: "PL",
        // "PL 8567346216" is from stdnum pl/nip; "PL 5840304473" altered.
        valid: &["PL 8567346215", "PL 584-030-44-72", "PL5261025421"],
        bad_checksum: &["PL 8567346216", "PL 5840304473"],
    },
    Vectors {
        prefix: "PT",
        // "PT 501 964 842" is from stdnum pt/nif; "PT 502448912" altered.
        valid: &["PT 501 964 843", "PT 500135.495", "PT-505 856 468"],
        bad_checksum: &["PT 501 964 842", "PT 502448912"],
    },
    Vectors {
        prefix: "RO",
        // CUI of several lengths and a CNP; the bad ones are from stdnum
        // ro/cf and ro/cnp.
        valid: &["RO 185 472 90", "RO 573768", "RO 241 30 20", "RO 1630615123457"],
        bad_checksum: &["RO 185 472 91", "RO 1630615123458"],
    },
    Vectors {
        prefix: "SE",
        // "SE 123456789101" is from stdnum se/vat; "SE556043606501" altered.
        valid: &["SE556043606401", "SE 202 100-5000 01", "SE-5562245190-01", "SE 123456789701"],
        bad_checksum: &["SE 123456789101", "SE556043606501"],
    },
    Vectors {
        prefix: "SI",
        // "SI 50223055" is from stdnum si/ddv; "SI 26808499" altered.
        valid: &["SI 50223054", "SI 3609 7152", "SI-89036999"],
        bad_checksum: &["SI 50223055", "SI 26808499"],
    },
    Vectors {
        prefix: "SK",
        // The last is a birth number (stdnum sk/rc), which individuals use.
        valid: &["SK 2022749619", "SK 1078449064", "SK 2020 237 945", "SK 710319/2745"],
        bad_checksum: &["SK 1078449164", "SK 302 274 96 19", "SK 2030 237 945", "SK 2020457679"],
    },
    Vectors {
        prefix: "XI",
        // UK-format numbers from stdnum test_gb_vat, under the XI prefix:
        // standard, "restarting" (mod 97 = 55/42), branch, GD/HA in both forms.
        valid: &[
            "XI 980 7806 84",
            "XI 002 4257 28",
            "XI100190874",
            "XI 242338087388",
            "XIGD100",
            "XIHA501",
            "XIGD888810003",
            "XIHA888856782",
        ],
        bad_checksum: &["XI 802311781", "XI001234567", "XIHA888856700"],
    },
];

fn parse(input: &str) -> VatId {
    normalize(input).unwrap_or_else(|err| panic!("{input}: {err}"))
}

#[test]
fn every_member_has_vectors() {
    for member in EU_MEMBERS {
        let vectors = VECTORS.iter().find(|v| v.prefix == member.vat_prefix).expect(member.vat_prefix);
        assert!(vectors.valid.len() >= 2, "{}", member.vat_prefix);
        assert!(!vectors.bad_checksum.is_empty(), "{}", member.vat_prefix);
    }
    assert_eq!(VECTORS.len(), 28);
}

#[test]
fn vat_valid_numbers_pass_their_country_rules() {
    for vectors in VECTORS {
        for input in vectors.valid {
            let id = parse(input);
            assert_eq!(id.country_code, vectors.prefix, "{input}");
            assert_eq!(check_format(&id), Ok(()), "{input} ({})", id.full());
        }
    }
}

#[test]
fn vat_wrong_check_digits_are_rejected() {
    for vectors in VECTORS {
        for input in vectors.bad_checksum {
            let id = parse(input);
            assert_eq!(id.country_code, vectors.prefix, "{input}");
            assert_eq!(check_format(&id), Err(VatError::InvalidChecksum), "{input} ({})", id.full());
        }
    }
}

#[test]
fn vat_malformed_numbers_are_format_errors() {
    // Mostly stdnum's InvalidFormat / InvalidLength examples.
    for input in [
        "AT1 142 43 102",
        "ATU 1515B209",
        "ATU 151592092",
        "BE 02A2.239.951",
        "BE 2202239951",
        "BG 10X8735941",
        "CY-102590Z3P",
        "CY-1225903322",
        "DE 246X595 415",
        "DE 011125440",
        "ES B-583784312",
        "ES O-1234567-L",
        "FR000076090",
        "FR IO334175221",
        "IE 4550C59S",
        "IE 069385V8",
        "IE 1234567ABC",
        "NL 001241643801",
        "NL 009122746B00",
        "NL B06753742B01",
        "NL 82X569759b01",
        "NL006866304B021",
        "SE 55643359201",
        "SE 5567003255201",
        "SE 556043606402",
        "SK A078449064",
        "SK 012 274 96 19",
        "SK 2010 237 945",
        "XI 9807806842",
        "XI 9807806B4",
        "XIGD8888567B2",
    ] {
        let result = check_format(&parse(input));
        assert!(matches!(result, Err(VatError::InvalidFormat(_))), "{input}: {result:?}");
    }
}

#[test]
fn vat_impossible_components_are_rejected() {
    // stdnum's InvalidComponent examples, plus impossible dates.
    for input in [
        "CY-12259033P",
        "CZ 95123891",
        "CZ 590312/123",
        "IT 00687129980",
        "LT 100001354",
        "LT 100001509922",
        "LV 161375-19997",
        "RO 1632215123457",
        "RO 1630615993457",
        "XIGD600",
        "XIHA201",
        "XIGD888860018",
        "XIHA888820107",
    ] {
        let result = check_format(&parse(input));
        assert!(matches!(result, Err(VatError::InvalidComponent(_))), "{input}: {result:?}");
    }
}

#[test]
fn vat_normalize_strips_separators_and_uppercases() {
    let id = parse(" de 136.695-976 ");
    assert_eq!(id, VatId { country_code: "DE".into(), number: "136695976".into() });
    assert_eq!(id.full(), "DE136695976");
    assert_eq!(parse("atu13585627").number, "U13585627");
    assert_eq!(parse("CZ 640229/4448").number, "6402294448");
    assert_eq!(parse("es-x-2482300w").full(), "ESX2482300W");
}

#[test]
fn vat_normalize_maps_greece_and_accepts_northern_ireland() {
    assert_eq!(parse("GR 094259216").full(), "EL094259216");
    assert_eq!(parse("gr94051189").full(), "EL094051189");
    assert_eq!(parse("EL 094259216").full(), "EL094259216");
    assert_eq!(parse("XI 980 7806 84").full(), "XI980780684");
}

#[test]
fn vat_normalize_restores_dropped_leading_digits() {
    assert_eq!(parse("BE 428.759.497").number, "0428759497");
    assert_eq!(parse("BE (0)468.561.072").number, "0468561072");
    assert_eq!(parse("NL4495445B01").number, "004495445B01");
    assert_eq!(parse("NL 8225.69.759 b01").number, "822569759B01");
}

#[test]
fn vat_normalize_rejects_what_is_not_a_vat_number() {
    assert_eq!(normalize(""), Err(VatError::Empty));
    assert_eq!(normalize(" - . "), Err(VatError::Empty));
    assert_eq!(normalize("136695976"), Err(VatError::MissingCountryCode));
    assert_eq!(normalize("D1"), Err(VatError::MissingCountryCode));
    assert_eq!(normalize("US 123456789"), Err(VatError::UnknownCountry("US".into())));
    assert_eq!(normalize("QQ 124567"), Err(VatError::UnknownCountry("QQ".into())));
    // Great Britain left the EU; only Northern Ireland's XI remains.
    assert_eq!(normalize("GB 980 7806 84"), Err(VatError::UnknownCountry("GB".into())));
    assert!(matches!(normalize("DE"), Err(VatError::InvalidFormat(_))));
    assert!(matches!(normalize("DE 1366959€6"), Err(VatError::InvalidFormat(_))));
    assert!(matches!(normalize("DE 136_695_976"), Err(VatError::InvalidFormat(_))));
}

#[test]
fn vat_check_format_needs_a_known_country() {
    let id = VatId { country_code: "US".into(), number: "123456789".into() };
    assert_eq!(check_format(&id), Err(VatError::UnknownCountry("US".into())));
    // Built by hand with the ISO code, Greece still gets Greek rules.
    let id = VatId { country_code: "GR".into(), number: "094259216".into() };
    assert_eq!(check_format(&id), Ok(()));
    let id = VatId { country_code: "DE".into(), number: "13669597€".into() };
    assert!(matches!(check_format(&id), Err(VatError::InvalidFormat(_))));
}

#[test]
fn vat_eu_member_accepts_iso_code_and_vat_prefix() {
    let greece = eu_member("GR").unwrap();
    assert_eq!((greece.country_code, greece.vat_prefix), ("GR", "EL"));
    assert_eq!(eu_member("EL"), Some(greece));
    assert_eq!(eu_member(" el "), Some(greece));
    let ni = eu_member("xi").unwrap();
    assert_eq!((ni.country_code, ni.vat_prefix, ni.name), ("XI", "XI", "Northern Ireland"));
    assert_eq!(eu_member("DE").unwrap().vat_prefix, "DE");
    assert_eq!(eu_member("GB"), None);
    assert_eq!(eu_member("CH"), None);
    assert_eq!(eu_member(""), None);
    let prefixes: Vec<_> = EU_MEMBERS.iter().map(|m| m.vat_prefix).collect();
    assert_eq!(prefixes.len(), 28);
    for prefix in [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU",
        "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
    ] {
        assert!(prefixes.contains(&prefix), "{prefix}");
    }
}

#[tokio::test]
async fn vat_validate_without_vies_is_unverified() {
    let result = validate(None, "gr 094 259 216").await;
    assert!(!result.valid);
    assert_eq!(result.status, VatStatus::Unverified);
    assert_eq!(result.source, VatSource::Format);
    assert_eq!(result.reason.as_deref(), Some("vies_disabled"));
    assert_eq!((result.country_code.as_str(), result.vat_number.as_str()), ("EL", "094259216"));
    assert_eq!((result.name, result.address), (None, None));
}

#[tokio::test]
async fn vat_validate_reports_offline_failures_as_invalid() {
    for (input, reason, country, number) in [
        ("DE 136695977", "invalid_checksum", "DE", "136695977"),
        ("GR 12345", "invalid_format", "EL", "12345"),
        ("US 123456789", "unknown_country", "US", "123456789"),
        ("123456789", "missing_country_code", "", "123456789"),
        ("", "empty", "", ""),
    ] {
        let result = validate(None, input).await;
        assert!(!result.valid, "{input}");
        assert_eq!(result.status, VatStatus::Invalid, "{input}");
        assert_eq!(result.source, VatSource::Format, "{input}");
        assert_eq!(result.reason.as_deref(), Some(reason), "{input}");
        assert_eq!((result.country_code.as_str(), result.vat_number.as_str()), (country, number), "{input}");
    }
}

#[tokio::test]
async fn vat_validation_serializes_in_camel_case() {
    let json = serde_json::to_value(validate(None, "DE136695976").await).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<_> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["address", "checkedAt", "countryCode", "name", "reason", "source", "status", "valid", "vatNumber"]
    );
    assert_eq!(json["status"], "unverified");
    assert_eq!(json["source"], "format");
    assert_eq!(json["countryCode"], "DE");
    assert_eq!(json["vatNumber"], "136695976");
    assert!(json["checkedAt"].as_str().unwrap().ends_with('Z'));
    let back: VatValidation = serde_json::from_value(json).unwrap();
    assert_eq!(back.status, VatStatus::Unverified);
}
