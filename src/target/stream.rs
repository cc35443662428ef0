//! Streamed responses: what a target measures while the parts of one
//! response arrive, for the recorder to turn into time to first token
//! (TTFT), inter-token latency and tokens per response.
//!
//! A streaming target feeds every part to a [`PartTracker`] the moment it
//! has it and returns the finished [`StreamTiming`] in its [`Reply`]. Only
//! instants and counts are kept, never the bytes (a JSON-pointer token
//! count holds at most one unfinished line), so memory per response is one
//! gap per part. The invoker measures TTFT from the request's *intended*
//! send time, like latency (see [`crate::invoke`]).
//!
//! A response the invoker times out is dropped with its tracker: it counts
//! as a timeout, and its parts are not recorded.

use std::time::Duration;

use tokio::time::Instant;

use crate::outcome::Outcome;
use crate::profile::stream::TokenSource;

/// How one request ended, and for a streamed response its timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub outcome: Outcome,
    /// `None` for whole (not streamed) responses and for streams that
    /// failed before the response started.
    pub stream: Option<StreamTiming>,
}

impl Reply {
    /// A response without stream timing.
    pub fn whole(outcome: Outcome) -> Reply {
        Reply {
            outcome,
            stream: None,
        }
    }
}

impl From<Outcome> for Reply {
    fn from(outcome: Outcome) -> Reply {
        Reply::whole(outcome)
    }
}

/// The parts of one streamed response, as they arrived.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamTiming {
    /// When the first part arrived; `None` when none did (the stream
    /// ended, or failed, before any).
    pub first_part: Option<Instant>,
    /// Parts received.
    pub parts: u64,
    /// Tokens, as the target's `tokens` setting counts them.
    pub tokens: u64,
    /// The time between consecutive parts (one fewer than `parts`): the
    /// inter-token latency.
    pub gaps: Vec<Duration>,
}

/// Records the parts of one response as they arrive.
pub struct PartTracker {
    timing: StreamTiming,
    last: Option<Instant>,
    counter: TokenCounter,
}

impl PartTracker {
    pub fn new(tokens: &TokenSource) -> PartTracker {
        PartTracker {
            timing: StreamTiming::default(),
            last: None,
            counter: TokenCounter::new(tokens),
        }
    }

    /// A part arrived now. Empty parts are ignored: they carry no token
    /// (HTTP chunked framing can yield them).
    pub fn part(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let now = Instant::now();
        match self.last {
            None => self.timing.first_part = Some(now),
            Some(prev) => self.timing.gaps.push(now - prev),
        }
        self.last = Some(now);
        self.timing.parts += 1;
        self.timing.tokens += self.counter.part(bytes);
    }

    /// The stream ended (or failed); counts a last unterminated JSON line.
    pub fn finish(mut self) -> StreamTiming {
        self.timing.tokens += self.counter.finish();
        self.timing
    }
}

/// Counts tokens per part, or per JSON line across parts (a line may be
/// split over two parts, or one part may carry several lines).
enum TokenCounter {
    Parts,
    Pointer { pointer: String, line: Vec<u8> },
}

impl TokenCounter {
    fn new(source: &TokenSource) -> TokenCounter {
        match source {
            TokenSource::Parts => TokenCounter::Parts,
            TokenSource::JsonPointer(p) => TokenCounter::Pointer {
                pointer: p.clone(),
                line: Vec::new(),
            },
        }
    }

    fn part(&mut self, bytes: &[u8]) -> u64 {
        match self {
            TokenCounter::Parts => 1,
            TokenCounter::Pointer { pointer, line } => {
                let mut n = 0;
                for &b in bytes {
                    if b == b'\n' {
                        n += tokens_in_line(pointer, line);
                        line.clear();
                    } else {
                        line.push(b);
                    }
                }
                n
            }
        }
    }

    fn finish(&mut self) -> u64 {
        match self {
            TokenCounter::Parts => 0,
            TokenCounter::Pointer { pointer, line } => {
                let n = tokens_in_line(pointer, line);
                line.clear();
                n
            }
        }
    }
}

/// Tokens in one line: its JSON (after an SSE `data:` prefix) at the
/// pointer; an array counts its length, null or absent nothing, anything
/// else one. A line that is not JSON (`data: [DONE]`, an SSE comment)
/// counts nothing.
fn tokens_in_line(pointer: &str, line: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    let text = text.strip_prefix("data:").unwrap_or(text).trim();
    if text.is_empty() {
        return 0;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => match v.pointer(pointer) {
            None | Some(serde_json::Value::Null) => 0,
            Some(serde_json::Value::Array(a)) => a.len() as u64,
            Some(_) => 1,
        },
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn parts_are_timed_and_counted() {
        let mut t = PartTracker::new(&TokenSource::Parts);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_millis(200)).await;
        t.part(b"Hel");
        tokio::time::sleep(Duration::from_millis(30)).await;
        t.part(b"");
        t.part(b"lo");
        tokio::time::sleep(Duration::from_millis(40)).await;
        t.part(b"!");
        let s = t.finish();
        assert_eq!(s.first_part, Some(start + Duration::from_millis(200)));
        assert_eq!((s.parts, s.tokens), (3, 3));
        assert_eq!(
            s.gaps,
            vec![Duration::from_millis(30), Duration::from_millis(40)]
        );
    }

    #[test]
    fn json_pointer_counts_lines_across_parts() {
        let mut t = PartTracker::new(&TokenSource::JsonPointer("/token/text".into()));
        // TGI-style server-sent events: a line split over two parts, two
        // lines in one part, a final `[DONE]`, and an unterminated last line.
        t.part(b"data: {\"token\": {\"te");
        t.part(b"xt\": \"a\"}}\n\ndata: {\"token\": {\"text\": \"b\"}}\n");
        t.part(b"data: {\"other\": 1}\ndata: [DONE]\n");
        t.part(b"{\"token\": {\"text\": [1, 2]}}");
        let s = t.finish();
        assert_eq!(s.parts, 4);
        // a, b, the other key and [DONE] nothing, the array its two.
        assert_eq!(s.tokens, 4);
    }
}
