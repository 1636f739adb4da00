//! A fake of the two AWS services `pull` talks to, on 127.0.0.1: IAM Access Analyzer (REST-JSON:
//! `GET /analyzer`, `POST /findingv2`, `GET /findingv2/{id}`) and CloudFormation (query protocol:
//! `POST /` with `Action=ListStackResources`, XML answers). It answers with the shapes AWS documents,
//! pages every list (`nextToken`), and can throttle or deny on request. Nothing leaves this machine.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// What the fake holds and how it behaves.
#[derive(Default)]
pub struct State {
    /// `(type, arn, status)` of each analyzer.
    pub analyzers: Vec<(String, String, String)>,
    /// Findings as `get-finding-v2` prints them, in list order.
    pub findings: Vec<Value>,
    /// Findings per `ListFindingsV2` page, details per `GetFindingV2` page.
    pub list_page: usize,
    pub details_page: usize,
    /// Stack name → `(logical id, physical id, type)` of each resource.
    pub stacks: BTreeMap<String, Vec<(String, String, String)>>,
    /// How many `GetFindingV2` requests to answer with `ThrottlingException` first.
    pub throttle: AtomicUsize,
    /// An operation (`GetFindingV2`, `ListAnalyzers`, …) to answer with access denied.
    pub deny: Option<String>,
    /// Every request: operation and its query or body.
    pub requests: Mutex<Vec<(String, String)>>,
    /// How long each `GetFindingV2` takes, so that requests in flight overlap.
    pub latency: std::time::Duration,
    /// `GetFindingV2` requests being answered now, and the most there ever were at once.
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

/// A `GetFindingV2` being answered: counted in flight until dropped.
struct InFlight<'s>(&'s State);

impl<'s> InFlight<'s> {
    fn enter(state: &'s State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct Fake {
    pub url: String,
    pub state: Arc<State>,
}

impl Fake {
    /// Starts the fake on a free port; it serves until the test process ends.
    pub fn start(state: State) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .unwrap_or_else(|e| panic!("address: {e}"))
        );
        let state = Arc::new(state);
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Fake { url, state }
    }

    /// The operations requested, in order.
    pub fn operations(&self) -> Vec<String> {
        self.requests().into_iter().map(|(op, _)| op).collect()
    }

    /// How many requests of `operation` were made.
    pub fn count(&self, operation: &str) -> usize {
        self.operations().iter().filter(|o| *o == operation).count()
    }

    /// The most `GetFindingV2` requests that were ever in flight at once.
    pub fn widest(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<(String, String)> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

/// One connection: requests one after another until the client closes it.
fn serve(stream: TcpStream, state: &State) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let (status, headers, payload) = answer(state, &method, &target, &body);
        let mut response = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{headers}\r\n",
            payload.len()
        );
        response.push_str(&payload);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn answer(state: &State, method: &str, target: &str, body: &str) -> (String, String, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = decode_form(query);
    let json_headers = "Content-Type: application/json\r\n".to_string();
    let operation = match (method, path) {
        ("GET", "/analyzer") => "ListAnalyzers",
        ("POST", "/findingv2") => "ListFindingsV2",
        ("GET", p) if p.starts_with("/findingv2/") => "GetFindingV2",
        ("POST", "/") => "ListStackResources",
        _ => "Unknown",
    };
    if let Ok(mut requests) = state.requests.lock() {
        requests.push((operation.to_string(), format!("{target} {body}")));
    }
    if state.deny.as_deref() == Some(operation) {
        return if operation == "ListStackResources" {
            (
                "403 Forbidden".into(),
                "Content-Type: text/xml\r\n".into(),
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: cloudformation:{operation}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                ),
            )
        } else {
            (
                "403 Forbidden".into(),
                format!("{json_headers}x-amzn-ErrorType: AccessDeniedException\r\n"),
                json!({"message": format!("User is not authorized to perform: access-analyzer:{operation}")}).to_string(),
            )
        };
    }
    match operation {
        "ListAnalyzers" => {
            let kind = query.get("type").cloned().unwrap_or_default();
            let analyzers: Vec<Value> = state
                .analyzers
                .iter()
                .filter(|(t, _, _)| kind.is_empty() || *t == kind)
                .map(|(t, arn, status)| {
                    json!({"arn": arn, "name": arn.rsplit('/').next(), "type": t, "status": status,
                           "createdAt": "2026-01-01T00:00:00Z"})
                })
                .collect();
            (
                "200 OK".into(),
                json_headers,
                json!({"analyzers": analyzers}).to_string(),
            )
        }
        "ListFindingsV2" => {
            let request: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let eq = |key: &str| -> Option<Vec<String>> {
                request["filter"][key]["eq"].as_array().map(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
            };
            let matching: Vec<&Value> = state
                .findings
                .iter()
                .filter(|f| {
                    ["status", "findingType", "resourceOwnerAccount"]
                        .iter()
                        .all(|key| match eq(key) {
                            Some(values) => values.iter().any(|v| f[*key] == *v),
                            None => true,
                        })
                })
                .collect();
            let start: usize = request["nextToken"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let page = state.list_page.max(1);
            let summaries: Vec<Value> = matching
                .iter()
                .skip(start)
                .take(page)
                .map(|f| {
                    let mut summary = (*f).clone();
                    if let Some(map) = summary.as_object_mut() {
                        map.remove("findingDetails");
                    }
                    summary
                })
                .collect();
            let mut out = json!({ "findings": summaries });
            if start + page < matching.len() {
                out["nextToken"] = json!((start + page).to_string());
            }
            ("200 OK".into(), json_headers, out.to_string())
        }
        "GetFindingV2" => {
            let _counted = InFlight::enter(state);
            std::thread::sleep(state.latency);
            let throttled = state
                .throttle
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if throttled {
                return (
                    "429 Too Many Requests".into(),
                    format!("{json_headers}x-amzn-ErrorType: ThrottlingException\r\n"),
                    json!({"message": "Rate exceeded"}).to_string(),
                );
            }
            let id = path.trim_start_matches("/findingv2/");
            let Some(finding) = state.findings.iter().find(|f| f["id"] == id) else {
                return (
                    "404 Not Found".into(),
                    format!("{json_headers}x-amzn-ErrorType: ResourceNotFoundException\r\n"),
                    json!({"message": "no such finding", "resourceId": id, "resourceType": "finding"})
                        .to_string(),
                );
            };
            let details = finding["findingDetails"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let start: usize = query
                .get("nextToken")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let page = state.details_page.max(1);
            let mut out = finding.clone();
            out["findingDetails"] =
                json!(details.iter().skip(start).take(page).collect::<Vec<_>>());
            if start + page < details.len() {
                out["nextToken"] = json!((start + page).to_string());
            }
            ("200 OK".into(), json_headers, out.to_string())
        }
        "ListStackResources" => {
            let form = decode_form(body);
            let stack = form.get("StackName").cloned().unwrap_or_default();
            let Some(resources) = state.stacks.get(&stack) else {
                return (
                    "400 Bad Request".into(),
                    "Content-Type: text/xml\r\n".into(),
                    format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id {stack} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                    ),
                );
            };
            let start: usize = form
                .get("NextToken")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let page = 2;
            let members: String = resources
                .iter()
                .skip(start)
                .take(page)
                .map(|(logical, physical, kind)| {
                    // An empty physical id is a resource that failed: AWS then sends none.
                    let (physical, status) = match physical.as_str() {
                        "" => (String::new(), "CREATE_FAILED"),
                        id => (
                            format!("<PhysicalResourceId>{id}</PhysicalResourceId>"),
                            "CREATE_COMPLETE",
                        ),
                    };
                    format!(
                        "<member><LogicalResourceId>{logical}</LogicalResourceId>{physical}<ResourceType>{kind}</ResourceType><LastUpdatedTimestamp>2026-09-01T10:00:00Z</LastUpdatedTimestamp><ResourceStatus>{status}</ResourceStatus></member>"
                    )
                })
                .collect();
            let next = if start + page < resources.len() {
                format!("<NextToken>{}</NextToken>", start + page)
            } else {
                String::new()
            };
            (
                "200 OK".into(),
                "Content-Type: text/xml\r\n".into(),
                format!(
                    "<ListStackResourcesResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><ListStackResourcesResult><StackResourceSummaries>{members}</StackResourceSummaries>{next}</ListStackResourcesResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListStackResourcesResponse>"
                ),
            )
        }
        _ => (
            "404 Not Found".into(),
            json_headers,
            json!({"message": format!("{method} {target}")}).to_string(),
        ),
    }
}

/// `a=1&b=x%2Fy` as a map.
fn decode_form(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((unescape(k), unescape(v)))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.push(b'%'),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
