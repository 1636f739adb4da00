//! Big and odd files in a temporary folder: clear errors or a quick load, never a panic.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use iamprune_findings::{FindingsSet, FormatKind, LoadOptions, MAX_DOCUMENT_BYTES};

const FIFTY_MB: usize = 50 * 1024 * 1024;

/// A file under the system temp folder that is removed when the test ends, whatever happens.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        TempFile(std::env::temp_dir().join(format!(
            "iamprune-findings-{}-{nanos}-{name}",
            std::process::id()
        )))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Generous: a debug build on a slow machine parses 50 MB in a few seconds.
const QUICK: Duration = Duration::from_secs(90);

#[test]
fn fifty_megabytes_of_json_lines_load() {
    let tmp = TempFile::new("big.jsonl");
    let mut w = BufWriter::new(File::create(&tmp.0).expect("create"));
    let mut written = 0;
    let mut lines = 0;
    while written < FIFTY_MB {
        let line = format!(
            "{{\"analyzedAt\":\"2024-06-10T09:12:44Z\",\"id\":\"{lines}\",\"resource\":\"arn:aws:iam::111122223333:role/Role{}\",\
             \"resourceType\":\"AWS::IAM::Role\",\"status\":\"ACTIVE\",\"findingType\":\"UnusedPermission\",\"findingDetails\":[\
             {{\"unusedPermissionDetails\":{{\"serviceNamespace\":\"s3\",\"actions\":[{{\"action\":\"GetBucketAcl\"}},{{\"action\":\"GetBucketPolicy\"}},\
             {{\"action\":\"GetBucketTagging\"}},{{\"action\":\"GetBucketCORS\"}}]}}}},{{\"unusedPermissionDetails\":{{\"serviceNamespace\":\"sqs\"}}}}]}}\n",
            lines % 1000
        );
        w.write_all(line.as_bytes()).expect("write");
        written += line.len();
        lines += 1;
    }
    w.flush().expect("flush");
    drop(w);

    let started = Instant::now();
    let mut set = FindingsSet::new();
    let result = set.load_file(&tmp.0, &LoadOptions::default());
    assert_eq!(result, Ok(FormatKind::GetFindingV2));
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    assert_eq!(set.principals().count(), 1000);
    let p = set
        .for_principal("arn:aws:iam::111122223333:role/Role7")
        .expect("loaded");
    assert_eq!(p.unused_actions.len(), 4);
    assert_eq!(p.unused_services.keys().collect::<Vec<_>>(), ["sqs"]);
}

#[test]
fn fifty_megabytes_of_nesting_fail_fast() {
    let tmp = TempFile::new("deep.json");
    fs::write(&tmp.0, "[".repeat(FIFTY_MB)).expect("write");
    let started = Instant::now();
    let mut set = FindingsSet::new();
    let err = set
        .load_file(&tmp.0, &LoadOptions::default())
        .expect_err("too deep");
    assert!(started.elapsed() < QUICK);
    assert!(err.error.message.contains("recursion limit"), "{err}");
}

#[test]
fn fifty_megabytes_of_binary_fail_fast() {
    let tmp = TempFile::new("binary.json");
    // A cheap deterministic byte stream that is not UTF-8 a few bytes in.
    let mut state: u32 = 0x9E37_79B9;
    let bytes: Vec<u8> = (0..FIFTY_MB)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    fs::write(&tmp.0, &bytes).expect("write");
    let started = Instant::now();
    let mut set = FindingsSet::new();
    let err = set
        .load_file(&tmp.0, &LoadOptions::default())
        .expect_err("binary");
    assert!(started.elapsed() < QUICK);
    assert!(
        err.error.message.contains("not UTF-8") || err.error.message.contains("invalid JSON"),
        "{err}"
    );
    assert!(set.is_empty());
}

#[test]
fn one_document_over_the_limit_is_refused_with_a_remedy() {
    let tmp = TempFile::new("huge.json");
    let mut w = BufWriter::new(File::create(&tmp.0).expect("create"));
    // A valid first line, then one array larger than a document may be.
    w.write_all(b"[{\"serviceNamespace\": \"s3\", \"actions\": [\"GetBucketAcl\"]}]\n  [")
        .expect("write");
    let element = b"{\"serviceNamespace\": \"s3\", \"actions\": [\"GetBucketAcl\"]},\n";
    for _ in 0..=MAX_DOCUMENT_BYTES / element.len() {
        w.write_all(element).expect("write");
    }
    w.write_all(b"{}]\n").expect("write");
    w.flush().expect("flush");
    drop(w);
    let started = Instant::now();
    let mut set = FindingsSet::new();
    let errors = set.load_path(&tmp.0, &LoadOptions::default());
    assert!(started.elapsed() < QUICK);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].position.line, errors[0].position.column), (2, 3));
    assert!(
        errors[0].error.message.contains("over 64 MiB")
            && errors[0].error.message.contains("jq -c"),
        "{}",
        errors[0]
    );
    assert!(set.is_empty(), "a file that fails is left out whole");
}

#[test]
fn utf16_with_a_byte_order_mark_loads() {
    let tmp = TempFile::new("utf16.json");
    let text = "[{\"serviceNamespace\": \"s3\", \"actions\": [\"GetBucketAcl\"]}]\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    fs::write(&tmp.0, &bytes).expect("write");
    let mut set = FindingsSet::new();
    assert_eq!(
        set.load_file(&tmp.0, &LoadOptions::default()),
        Ok(FormatKind::SimpleList)
    );

    let tmp8 = TempFile::new("bom.json");
    fs::write(&tmp8.0, format!("\u{feff}{text}")).expect("write");
    assert_eq!(
        set.load_file(&tmp8.0, &LoadOptions::default()),
        Ok(FormatKind::SimpleList)
    );
}
