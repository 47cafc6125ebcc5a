//! A server-sent events (`text/event-stream`) parser, fed bytes as they arrive.
//!
//! It follows the WHATWG rules: lines end in LF, CRLF or CR (also split across chunks); a blank
//! line dispatches the event; `:` starts a comment; `data` lines join with `\n`; an event
//! without data is dropped; a leading byte-order mark is skipped.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`message` when absent).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen, if any.
    pub id: Option<String>,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next chunk; returns the events it completed, in order.
    pub fn push(&mut self, mut chunk: &[u8]) -> Vec<SseEvent> {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            if let Some(rest) = chunk.strip_prefix(b"\xEF\xBB\xBF".as_slice()) {
                chunk = rest;
            }
        }
        let mut out = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line) {
                        out.push(event);
                    }
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(byte);
                }
            }
        }
        out
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.first() == Some(&b':') {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        chunks.iter().flat_map(|c| parser.push(c)).collect()
    }

    #[test]
    fn events_with_types_and_multiline_data() {
        let events = all(&[
            b"event: status\ndata: {\"a\":1}\n\nevent: log\ndata: one\ndata: two\nid: 7\n\n",
        ]);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, "status");
        assert_eq!(events[0].data, "{\"a\":1}");
        assert_eq!(events[0].id, None);
        assert_eq!(events[1].event, "log");
        assert_eq!(events[1].data, "one\ntwo");
        assert_eq!(events[1].id.as_deref(), Some("7"));
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_events() {
        let text = b"\xEF\xBB\xBF: keep-alive\r\nevent: status\r\ndata:x\r\n\r\ndata: y\r\r";
        let whole = all(&[text]);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].event, "status");
        assert_eq!(whole[0].data, "x");
        assert_eq!(whole[1].event, "message");
        assert_eq!(whole[1].data, "y");
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(all(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(all(&bytes), whole);
    }

    #[test]
    fn comments_and_events_without_data_dispatch_nothing() {
        assert!(all(&[b": ping\n\nevent: status\n\n"]).is_empty());
        // An unterminated event is not dispatched.
        assert!(all(&[b"event: status\ndata: x\n"]).is_empty());
        // A field without a colon is a field with an empty value.
        let events = all(&[b"data\n\n"]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "");
    }
}
