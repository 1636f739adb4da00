//! The only place that calls libyaml-rs: its C-style parser API turned into owned, safe events with
//! byte spans.
//!
//! libyaml-rs is a line-by-line translation of libyaml, the parser that cfn-lint (through PyYAML) and
//! cfn-guard accept templates with, so it accepts exactly the layouts CloudFormation users write,
//! including the spec-invalid flow collections closed at the key's indentation. Its API is `unsafe`
//! raw-pointer code; everything else in the crate sees only [`Event`].
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::mem::MaybeUninit;

use iamprune_syntax::Span;
use libyaml_rs::{
    YAML_ALIAS_EVENT, YAML_BLOCK_MAPPING_STYLE, YAML_BLOCK_SEQUENCE_STYLE,
    YAML_DOUBLE_QUOTED_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE, YAML_LITERAL_SCALAR_STYLE,
    YAML_MAPPING_END_EVENT, YAML_MAPPING_START_EVENT, YAML_PLAIN_SCALAR_STYLE, YAML_SCALAR_EVENT,
    YAML_SEQUENCE_END_EVENT, YAML_SEQUENCE_START_EVENT, YAML_SINGLE_QUOTED_SCALAR_STYLE,
    YAML_STREAM_END_EVENT, yaml_event_delete, yaml_event_t, yaml_mark_t, yaml_parser_delete,
    yaml_parser_initialize, yaml_parser_parse, yaml_parser_set_input_string, yaml_parser_t,
};

/// How a scalar is written, which decides how its raw text maps to its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventKind {
    Scalar {
        value: String,
        tag: Option<String>,
        anchor: Option<String>,
        style: ScalarStyle,
    },
    SequenceStart {
        tag: Option<String>,
        anchor: Option<String>,
        flow: bool,
    },
    SequenceEnd,
    MappingStart {
        tag: Option<String>,
        anchor: Option<String>,
        flow: bool,
    },
    MappingEnd,
    Alias {
        anchor: String,
    },
    /// Stream and document boundaries.
    Other,
}

/// One parser event. The span is in bytes of the text given to [`events`]; for scalars and collection
/// starts it begins at the anchor or tag when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub kind: EventKind,
    pub span: Span,
}

/// A parse error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventError {
    pub message: String,
    pub offset: usize,
}

/// Parses `text` into events up to the end of the stream, or the first error, handing each to
/// `each` as it comes: a template's events are not all held at once.
pub(crate) fn events(text: &str, mut each: impl FnMut(Event)) -> Result<(), EventError> {
    let mut parser = MaybeUninit::<yaml_parser_t>::uninit();
    // SAFETY: `yaml_parser_initialize` zeroes and sets up the parser in place; it is used only after it
    // reported success, and `yaml_parser_delete` runs exactly once on every path after that. The input
    // pointer and length come from `text`, which outlives the parser (both live only in this call). Each
    // event is read only after `yaml_parser_parse` filled it successfully, read through the union field
    // that its `type_` selects, its strings copied out before `yaml_event_delete` frees them, and deleted
    // exactly once. Strings from libyaml (tags, anchors, problems) are NUL-terminated C strings it
    // allocated; scalar values are `length` bytes at `value`.
    unsafe {
        if yaml_parser_initialize(parser.as_mut_ptr()).fail {
            return Err(EventError {
                message: "the YAML parser could not start".into(),
                offset: 0,
            });
        }
        let p = parser.as_mut_ptr();
        yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        let result = loop {
            let mut event = MaybeUninit::<yaml_event_t>::uninit();
            if yaml_parser_parse(p, event.as_mut_ptr()).fail {
                let parser = &*p;
                let problem = c_string(parser.problem.cast());
                let message = match (problem, c_string(parser.context.cast())) {
                    (Some(problem), Some(context)) => format!("{problem} ({context})"),
                    (Some(problem), None) => problem,
                    (None, _) => "invalid YAML".to_string(),
                };
                break Err(EventError {
                    message,
                    offset: mark(&parser.problem_mark),
                });
            }
            let e = &*event.as_ptr();
            let kind = match e.type_ {
                YAML_SCALAR_EVENT => {
                    let s = e.data.scalar;
                    let bytes = if s.value.is_null() {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(s.value, usize::try_from(s.length).unwrap_or(0))
                    };
                    let style = match s.style {
                        YAML_SINGLE_QUOTED_SCALAR_STYLE => ScalarStyle::SingleQuoted,
                        YAML_DOUBLE_QUOTED_SCALAR_STYLE => ScalarStyle::DoubleQuoted,
                        YAML_LITERAL_SCALAR_STYLE => ScalarStyle::Literal,
                        YAML_FOLDED_SCALAR_STYLE => ScalarStyle::Folded,
                        YAML_PLAIN_SCALAR_STYLE | _ => ScalarStyle::Plain,
                    };
                    EventKind::Scalar {
                        value: String::from_utf8_lossy(bytes).into_owned(),
                        tag: c_string(s.tag),
                        anchor: c_string(s.anchor),
                        style,
                    }
                }
                YAML_SEQUENCE_START_EVENT => {
                    let s = e.data.sequence_start;
                    EventKind::SequenceStart {
                        tag: c_string(s.tag),
                        anchor: c_string(s.anchor),
                        flow: s.style != YAML_BLOCK_SEQUENCE_STYLE,
                    }
                }
                YAML_SEQUENCE_END_EVENT => EventKind::SequenceEnd,
                YAML_MAPPING_START_EVENT => {
                    let s = e.data.mapping_start;
                    EventKind::MappingStart {
                        tag: c_string(s.tag),
                        anchor: c_string(s.anchor),
                        flow: s.style != YAML_BLOCK_MAPPING_STYLE,
                    }
                }
                YAML_MAPPING_END_EVENT => EventKind::MappingEnd,
                YAML_ALIAS_EVENT => EventKind::Alias {
                    anchor: c_string(e.data.alias.anchor).unwrap_or_default(),
                },
                _ => EventKind::Other,
            };
            let done = e.type_ == YAML_STREAM_END_EVENT;
            each(Event {
                kind,
                span: Span::new(mark(&e.start_mark), mark(&e.end_mark)),
            });
            yaml_event_delete(event.as_mut_ptr());
            if done {
                break Ok(());
            }
        };
        yaml_parser_delete(p);
        result
    }
}

fn mark(mark: &yaml_mark_t) -> usize {
    usize::try_from(mark.index).unwrap_or(usize::MAX)
}

/// Copies a NUL-terminated string that libyaml owns.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string that stays valid during the call.
unsafe fn c_string(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: see the function's contract.
    let s = unsafe { CStr::from_ptr(ptr.cast()) };
    Some(s.to_string_lossy().into_owned())
}
