//! The frame scanner: reads the request clients send most, a `tools/call`, in one pass over its
//! bytes, checking the JSON exactly as serde_json does and finding the members
//! `envelope::classify_call` finds (the id, and the params' [`Head`] with the 2026-07-28
//! envelope in `_meta`), without serde's machinery.
//!
//! It is a shortcut, never a second set of rules. A frame it reads to its end is a call or
//! [`Scanned::NotACall`], and either answer is serde's. Whenever it cannot be sure what serde
//! would read (a key with an escape where the key matters, nesting deeper than [`MAX_DEPTH`], a
//! member named twice, a `_meta` that serde would convert, JSON it refuses) it answers
//! [`Scanned::Unsure`], and serde reads the frame. The property tests below hold its answers to
//! serde's on generated and damaged frames. It cannot panic (every byte is read with `get`) and
//! allocates nothing but the copy of a `_meta` it remembers ([`LAST_META`]).

use std::ops::Range;

use super::head::{Head, MetaHead, Raw, keys};

/// Objects and arrays nested deeper than this are left to serde.
const MAX_DEPTH: u32 = 64;

/// What the scanner makes of a frame.
#[derive(Debug)]
pub(crate) enum Scanned<'a> {
    /// A well-formed `tools/call`: its id and its params' head, as serde reads them.
    Call(Raw<'a>, Head<'a>),
    /// Read to its end, and not a well-formed `tools/call` (another method, a response, no
    /// params, an invalid id, something after the message): serde would say the same, so it
    /// need not be asked.
    NotACall,
    /// Serde's to read: the scanner could not be sure.
    Unsure,
}

/// Reads `frame` as a `tools/call`.
pub(crate) fn read(frame: &str) -> Scanned<'_> {
    if !frame.starts_with('{') {
        return Scanned::NotACall;
    }
    let mut scan = Scan {
        bytes: frame.as_bytes(),
        at: 0,
    };
    let mut top = Top::default();
    if scan
        .object(MAX_DEPTH, |key, scan, depth| top.member(frame, key, scan, depth))
        .is_none()
    {
        return Scanned::Unsure;
    }
    if scan.skip_whitespace().is_some() {
        return Scanned::NotACall;
    }
    let text = |range: &Option<Range<usize>>| range.clone().and_then(|r| frame.get(r));
    let well_formed = text(&top.jsonrpc) == Some("\"2.0\"")
        && text(&top.method) == Some("\"tools/call\"")
        && top.result.is_none()
        && top.error.is_none();
    match (well_formed, text(&top.id).map(Raw::scanned), top.params) {
        (true, Some(id), Some(head)) if id.is_id() => Scanned::Call(id, head),
        _ => Scanned::NotACall,
    }
}

/// A message's members as serde's derive of `envelope::Message` reads them: each at most once
/// (a repeat is serde's error), `null` kept as a value, other keys checked and passed over.
#[derive(Default)]
struct Top<'a> {
    jsonrpc: Option<Range<usize>>,
    id: Option<Range<usize>>,
    method: Option<Range<usize>>,
    result: Option<Range<usize>>,
    error: Option<Range<usize>>,
    params: Option<Head<'a>>,
}

impl<'a> Top<'a> {
    fn member(&mut self, frame: &'a str, key: Option<&[u8]>, scan: &mut Scan<'_>, depth: u32) -> Option<()> {
        let slot = match key? {
            b"jsonrpc" => &mut self.jsonrpc,
            b"id" => &mut self.id,
            b"method" => &mut self.method,
            b"result" => &mut self.result,
            b"error" => &mut self.error,
            b"params" => {
                if self.params.is_some() {
                    return None;
                }
                self.params = Some(head(frame, scan, depth)?);
                return Some(());
            }
            _ => return scan.value(depth).map(drop),
        };
        let value = scan.value(depth)?;
        slot.replace(value).is_none().then_some(())
    }
}

/// The params, which must be an object, read as serde's derive of [`Head`] reads them: a member
/// is `None` when `null`, and named twice is serde's error even when the first was `null`.
fn head<'a>(frame: &'a str, scan: &mut Scan<'_>, depth: u32) -> Option<Head<'a>> {
    let mut head = Head::default();
    let mut seen = 0_u8;
    scan.object(depth, |key, scan, depth| {
        let (bit, slot) = match key? {
            b"name" => (1, &mut head.name),
            b"uri" => (2, &mut head.uri),
            b"arguments" => (4, &mut head.arguments),
            b"inputResponses" => (8, &mut head.input_responses),
            b"requestState" => (16, &mut head.request_state),
            b"_meta" => {
                if seen & 32 != 0 {
                    return None;
                }
                seen |= 32;
                head.meta = meta(frame, scan, depth)?;
                return Some(());
            }
            _ => return scan.value(depth).map(drop),
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        let value = frame.get(scan.value(depth)?)?;
        *slot = (value != "null").then(|| Raw::scanned(value));
        Some(())
    })?;
    Some(head)
}

/// `_meta` as [`MetaHead`]'s deserializer reads it: `null` is no `_meta`; another type than an
/// object is an unreadable one; in an object, an envelope key named twice makes it unreadable
/// and the last `progressToken` wins.
///
/// A client sends the same envelope with every request, so the last `_meta` object read on this
/// thread is remembered ([`LAST_META`]): when the frame's bytes here are those bytes, the object
/// is that object (an object ends at its own closing brace, whatever follows it) and what was
/// found in it is where it was, so it is not read again.
fn meta<'a>(frame: &'a str, scan: &mut Scan<'_>, depth: u32) -> Option<Option<MetaHead<'a>>> {
    let first = scan.skip_whitespace()?;
    if first != b'{' {
        let value = frame.get(scan.value(depth)?)?;
        // serde reads a `_meta` of another type as that type: a string is unescaped and a
        // number converted, which can fail (a lone surrogate's escape, 1e400). Those are
        // serde's to read.
        let unsure = match first {
            b'"' => value.contains('\\'),
            b'-' | b'0'..=b'9' => true,
            _ => false,
        };
        return if unsure {
            None
        } else {
            Some((value != "null").then(MetaHead::default))
        };
    }
    let start = scan.at;
    // `try_with`: a thread being torn down has no memory, and nothing here may panic.
    let remembered = LAST_META.try_with(|last| {
        let last = last.try_borrow().ok()?;
        let text = last.text.as_bytes();
        if text.is_empty() || !scan.bytes.get(start..)?.starts_with(text) {
            return None;
        }
        let found = last.found.moved(start)?;
        scan.at += text.len();
        Some(found)
    });
    if let Some(found) = remembered.ok().flatten() {
        return Some(Some(found.head(frame)));
    }
    let mut found = Found {
        readable: true,
        ..Found::NONE
    };
    scan.object(depth, |key, scan, depth| {
        let key = key?;
        let value = scan.value(depth)?;
        let slot = match key {
            k if k == keys::PROTOCOL_VERSION.as_bytes() => &mut found.version,
            k if k == keys::CLIENT_CAPABILITIES.as_bytes() => &mut found.capabilities,
            k if k == keys::LOG_LEVEL.as_bytes() => &mut found.log_level,
            b"progressToken" => {
                found.progress_token = Some(value);
                return Some(());
            }
            _ => return Some(()),
        };
        if slot.replace(value).is_some() {
            found.readable = false;
        }
        Some(())
    })?;
    let end = scan.at;
    if end - start <= MEMO_MAX {
        let _ = LAST_META.try_with(|last| {
            let in_text = found.relative_to(start);
            if let (Ok(mut last), Some(text), Some(in_text)) =
                (last.try_borrow_mut(), frame.get(start..end), in_text)
            {
                last.text.clear();
                last.text.push_str(text);
                last.found = in_text;
            }
        });
    }
    Some(Some(found.head(frame)))
}

/// The longest `_meta` remembered: an envelope with client information is about 200 bytes.
const MEMO_MAX: usize = 1024;

/// The last `_meta` object read in full on this thread, and where its members are in it. It
/// is always read at the same depth (params of a top-level message), so a remembered object is
/// within the depth a fresh read would allow.
struct Memo {
    text: String,
    found: Found,
}

thread_local! {
    static LAST_META: std::cell::RefCell<Memo> = const {
        std::cell::RefCell::new(Memo {
            text: String::new(),
            found: Found::NONE,
        })
    };
}

/// Where `_meta`'s members are: in the frame, or in a remembered `_meta`'s text.
#[derive(Clone, Debug)]
struct Found {
    readable: bool,
    version: Option<Range<usize>>,
    capabilities: Option<Range<usize>>,
    log_level: Option<Range<usize>>,
    progress_token: Option<Range<usize>>,
}

impl Found {
    const NONE: Found = Found {
        readable: false,
        version: None,
        capabilities: None,
        log_level: None,
        progress_token: None,
    };

    fn map(&self, shift: impl Fn(usize) -> Option<usize>) -> Option<Found> {
        let range = |r: &Option<Range<usize>>| match r {
            None => Some(None),
            Some(r) => Some(Some(shift(r.start)?..shift(r.end)?)),
        };
        Some(Found {
            readable: self.readable,
            version: range(&self.version)?,
            capabilities: range(&self.capabilities)?,
            log_level: range(&self.log_level)?,
            progress_token: range(&self.progress_token)?,
        })
    }

    /// Positions in the frame as positions in `_meta`'s text, which starts at `start`.
    fn relative_to(&self, start: usize) -> Option<Found> {
        self.map(|at| at.checked_sub(start))
    }

    /// Positions in a remembered `_meta`'s text as positions in a frame where it starts at
    /// `start`.
    fn moved(&self, start: usize) -> Option<Found> {
        self.map(|at| at.checked_add(start))
    }

    fn head<'a>(&self, frame: &'a str) -> MetaHead<'a> {
        let raw = |r: &Option<Range<usize>>| r.clone().and_then(|r| frame.get(r)).map(Raw::scanned);
        MetaHead {
            readable: self.readable,
            version: raw(&self.version),
            capabilities: raw(&self.capabilities),
            log_level: raw(&self.log_level),
            progress_token: raw(&self.progress_token),
        }
    }
}

/// A position in the frame's bytes.
struct Scan<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Scan<'_> {
    /// Passes over JSON whitespace; the next byte, `None` at the end.
    fn skip_whitespace(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.at) {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => self.at += 1,
                _ => return Some(byte),
            }
        }
        None
    }

    /// One value after whitespace, checked; the range of its text.
    fn value(&mut self, depth: u32) -> Option<Range<usize>> {
        let first = self.skip_whitespace()?;
        let start = self.at;
        match first {
            b'"' => {
                self.string()?;
            }
            b'{' => self.object(depth, |_, scan, depth| scan.value(depth).map(drop))?,
            b'[' => self.array(depth)?,
            b't' => self.word(b"true")?,
            b'f' => self.word(b"false")?,
            b'n' => self.word(b"null")?,
            _ => self.number()?,
        }
        Some(start..self.at)
    }

    /// An object (after whitespace), `member(key, self, depth)` reading each member's value;
    /// `key` is `None` when it has an escape (only serde tells which key that is).
    fn object(
        &mut self,
        depth: u32,
        mut member: impl FnMut(Option<&[u8]>, &mut Self, u32) -> Option<()>,
    ) -> Option<()> {
        let depth = depth.checked_sub(1)?;
        if self.skip_whitespace()? != b'{' {
            return None;
        }
        self.at += 1;
        if self.closes(b'}')? {
            return Some(());
        }
        loop {
            if self.skip_whitespace()? != b'"' {
                return None;
            }
            let (key, escaped) = self.string()?;
            if self.skip_whitespace()? != b':' {
                return None;
            }
            self.at += 1;
            let bytes = self.bytes;
            let key = if escaped { None } else { Some(bytes.get(key)?) };
            member(key, self, depth)?;
            if self.ends(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        let depth = depth.checked_sub(1)?;
        self.at += 1;
        if self.closes(b']')? {
            return Some(());
        }
        loop {
            self.value(depth)?;
            if self.ends(b']')? {
                return Some(());
            }
        }
    }

    /// Right after an opening bracket: `true` (and past it) when `close` follows at once.
    fn closes(&mut self, close: u8) -> Option<bool> {
        let found = self.skip_whitespace()? == close;
        if found {
            self.at += 1;
        }
        Some(found)
    }

    /// After a member or an element: `true` past the closing `close`, `false` past a comma,
    /// `None` for anything else.
    fn ends(&mut self, close: u8) -> Option<bool> {
        let byte = self.skip_whitespace()?;
        if byte != b',' && byte != close {
            return None;
        }
        self.at += 1;
        Some(byte == close)
    }

    /// A string at its opening quote: the range of what is between the quotes, and whether it
    /// has an escape. Control characters are refused and escapes checked, as serde_json does
    /// (a `\u` escape's four hex digits, not what they encode).
    fn string(&mut self) -> Option<(Range<usize>, bool)> {
        self.at += 1;
        let start = self.at;
        let mut escaped = false;
        loop {
            self.skip_plain();
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some((start..self.at - 1, escaped));
                }
                b'\\' => {
                    escaped = true;
                    match *self.bytes.get(self.at + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 2,
                        b'u' => {
                            let hex = self.bytes.get(self.at + 2..self.at + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 6;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// Passes over a string's bytes up to a quote, a backslash or a control character, eight at
    /// a time (the test serde_json's own string reader uses: the lowest byte flagged in a word is
    /// always a true one).
    fn skip_plain(&mut self) {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        while let Some(chunk) = self.bytes.get(self.at..self.at + 8) {
            let Ok(word) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let word = u64::from_le_bytes(word);
            let control = word.wrapping_sub(ONES * 0x20) & !word;
            let quote = word ^ (ONES * u64::from(b'"'));
            let quote = quote.wrapping_sub(ONES) & !quote;
            let backslash = word ^ (ONES * u64::from(b'\\'));
            let backslash = backslash.wrapping_sub(ONES) & !backslash;
            let found = (control | quote | backslash) & HIGH;
            if found != 0 {
                self.at += found.trailing_zeros() as usize / 8;
                return;
            }
            self.at += 8;
        }
        while let Some(&byte) = self.bytes.get(self.at) {
            if byte == b'"' || byte == b'\\' || byte < 0x20 {
                return;
            }
            self.at += 1;
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.bytes.get(self.at) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number by JSON's grammar: no leading zeros, digits after a point and in an exponent.
    fn number(&mut self) -> Option<()> {
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match *self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::envelope::classify_call_by_serde;
    use proptest::prelude::*;

    /// Where a value is in the frame: scanner and serde must point at the same bytes, not only
    /// at equal text (a call's members are later sliced out of the frame by position).
    fn at(frame: &str, raw: Option<Raw<'_>>) -> Option<(usize, usize)> {
        raw.map(|raw| {
            (
                raw.get().as_ptr() as usize - frame.as_ptr() as usize,
                raw.get().len(),
            )
        })
    }

    type Positions = Vec<Option<(usize, usize)>>;

    fn positions(frame: &str, (id, head): &(Raw<'_>, Head<'_>)) -> (Positions, Option<bool>) {
        let meta = head.meta.as_ref();
        let members = vec![
            at(frame, Some(*id)),
            at(frame, head.name),
            at(frame, head.uri),
            at(frame, head.arguments),
            at(frame, head.input_responses),
            at(frame, head.request_state),
            at(frame, meta.and_then(|m| m.version)),
            at(frame, meta.and_then(|m| m.capabilities)),
            at(frame, meta.and_then(|m| m.log_level)),
            at(frame, meta.and_then(|m| m.progress_token)),
        ];
        (members, meta.map(|m| m.readable))
    }

    /// The scanner's answer agrees with serde's wherever the scanner answers, and a frame it
    /// answers is JSON.
    /// The scanner's call, when it reads one.
    fn call(frame: &str) -> Option<(Raw<'_>, Head<'_>)> {
        match read(frame) {
            Scanned::Call(id, head) => Some((id, head)),
            Scanned::NotACall | Scanned::Unsure => None,
        }
    }

    fn agrees(frame: &str) -> Result<Option<bool>, TestCaseError> {
        let by_serde = classify_call_by_serde(frame);
        if let Scanned::NotACall = read(frame) {
            prop_assert!(by_serde.is_none(), "serde reads {} as a call", frame);
        }
        let scanned = call(frame);
        if let Some(scanned) = &scanned {
            // As serde_json reads JSON it does not unescape (a lone surrogate's `\u` escape is
            // four hex digits to it, as to the scanner).
            prop_assert!(
                serde_json::from_str::<&serde_json::value::RawValue>(frame).is_ok(),
                "not JSON: {}",
                frame
            );
            prop_assert!(by_serde.is_some(), "serde does not read {} as a call", frame);
            if let Some(by_serde) = &by_serde {
                prop_assert_eq!(positions(frame, scanned), positions(frame, by_serde), "{}", frame);
                prop_assert_eq!(&scanned.1, &by_serde.1);
            }
        }
        Ok(scanned.is_some().then_some(by_serde.is_some()))
    }

    // A static, not a const: a const string may be a different copy at each use, and the tests
    // compare positions in it.
    static CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;

    #[test]
    fn a_client_s_call_is_read_by_the_scanner_as_serde_reads_it() {
        let (id, head) = call(CALL).expect("the scanner reads a plain call");
        assert_eq!(id.get(), "1");
        assert_eq!(head.name.map(Raw::get), Some("\"get_quote\""));
        assert_eq!(head.arguments.map(Raw::get), Some(r#"{"symbol":"SPY"}"#));
        let meta = head.meta.as_ref().and_then(MetaHead::envelope).unwrap();
        assert_eq!(meta.version.map(Raw::get), Some("\"2026-07-28\""));
        assert_eq!(meta.capabilities.map(Raw::get), Some("{}"));
        assert_eq!(meta.log_level, None);
        agrees(CALL).unwrap();
        // Whitespace anywhere JSON allows it, escapes in values, every kind of number.
        let spaced = "{ \"jsonrpc\" : \"2.0\" ,\n\t\"id\" : \"a\\\"b\\u00e9\" , \"method\":\"tools/call\",\r\n \"params\" : { \"name\" : \"get_quote\" , \"arguments\" : { \"n\" : [ -0.5e+3 , 0 , 12E-1 , true , false , null , \"\\\\\" ] } , \"_meta\" : { \"progressToken\" : -7 } } } \n";
        let (id, head) = call(spaced).expect("the scanner reads a spaced call");
        assert_eq!(id.get(), "\"a\\\"b\\u00e9\"");
        assert_eq!(
            head.arguments.map(Raw::get),
            Some("{ \"n\" : [ -0.5e+3 , 0 , 12E-1 , true , false , null , \"\\\\\" ] }")
        );
        assert_eq!(head.meta.and_then(|m| m.progress_token).map(Raw::get), Some("-7"));
        assert_eq!(agrees(spaced).unwrap(), Some(true));
    }

    /// Forgets this thread's remembered `_meta`.
    fn forget() {
        LAST_META.with(|last| {
            let mut last = last.borrow_mut();
            last.text.clear();
            last.found = Found::NONE;
        });
    }

    /// What the scanner answers for `frame` with nothing remembered, as positions.
    fn fresh(frame: &str) -> Option<(Positions, Option<bool>)> {
        forget();
        call(frame).map(|read| positions(frame, &read))
    }

    #[test]
    fn a_remembered_envelope_is_found_where_a_fresh_read_finds_it() {
        forget();
        let first = call(CALL).map(|read| positions(CALL, &read));
        let text = LAST_META.with(|last| last.borrow().text.clone());
        assert!(
            text.starts_with("{\"io.modelcontextprotocol/protocolVersion\"") && text.ends_with("}}"),
            "{text}"
        );
        // The same envelope in another request, at another place in its frame, with other
        // members around it.
        let moved = format!(
            r#"{{"id":"x-1","jsonrpc":"2.0","params":{{"arguments":{{"symbol":"QQQ","n":[1,2]}},"_meta":{text},"name":"get_option_chain"}},"method":"tools/call"}}"#
        );
        let again = call(&moved).map(|read| positions(&moved, &read));
        assert_eq!(again, fresh(&moved));
        let (_, head) = call(&moved).unwrap();
        let meta = head.meta.as_ref().and_then(MetaHead::envelope).unwrap();
        assert_eq!(meta.version.map(Raw::get), Some("\"2026-07-28\""));
        assert_eq!(meta.capabilities.map(Raw::get), Some("{}"));
        assert_eq!(first, fresh(CALL));
        // What follows a remembered envelope is still checked.
        let broken = moved.replace(&format!("{text},"), &format!("{text}x,"));
        call(&moved);
        assert!(call(&broken).is_none());
        // A longer `_meta` that starts like the remembered one is another object, read afresh.
        let longer = CALL.replace("\"version\":\"1\"}}", "\"version\":\"1\"},\"progressToken\":9}");
        call(CALL);
        let (_, head) = call(&longer).unwrap();
        assert_eq!(head.meta.and_then(|m| m.progress_token).map(Raw::get), Some("9"));
    }

    #[test]
    fn what_serde_reads_differently_or_refuses_the_scanner_leaves() {
        for frame in [
            // Not JSON.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}}"#,
            r#"{"jsonrpc":"2.0","id":01,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":[1,]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"a":1,}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":[1}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\u12G4"}}"#,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\u{1}b\"}}",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":1.}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":-}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":1e}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":nul}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}} x"#,
            // JSON, but not a call serde reads.
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null,"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":null,"_meta":{}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1.0,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{},"error":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#,
            // Serde's to read: an escaped key (which key it is takes unescaping).
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"x"}}"#,
        ] {
            assert!(call(frame).is_none(), "{frame}");
        }
        // Nesting past the scanner's depth is left to serde, which reads it.
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"arguments":{}{}}}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(call(&deep).is_none());
        assert!(classify_call_by_serde(&deep).is_some());
        let escaped_key = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"x"}}"#;
        assert_eq!(
            crate::mcp::envelope::classify_call(escaped_key).and_then(|(_, head)| head.name.map(Raw::get)),
            Some("\"x\"")
        );
    }

    #[test]
    fn the_meta_of_any_type_is_read_as_serde_reads_it() {
        for meta in [
            "null",
            "\"x\"",
            "[1,{}]",
            "true",
            "{}",
            r#"{"progressToken":1,"progressToken":2}"#,
            r#"{"io.modelcontextprotocol/logLevel":"info","io.modelcontextprotocol/logLevel":"debug"}"#,
            r#"{"io.modelcontextprotocol/protocolVersion":null}"#,
        ] {
            let frame = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","_meta":{meta}}}}}"#
            );
            assert_eq!(agrees(&frame).unwrap(), Some(true), "{frame}");
        }
        // A `_meta` string or number is converted by serde, which can refuse it: left to serde.
        for meta in ["5", "-1.5", "1e400", "\"\\udc00\"", "\"a\\nb\""] {
            let frame = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","_meta":{meta}}}}}"#
            );
            assert_eq!(agrees(&frame).unwrap(), None, "{frame}");
        }
        for refused in ["1e400", "\"\\udc00\""] {
            let frame = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","_meta":{refused}}}}}"#
            );
            assert!(classify_call_by_serde(&frame).is_none(), "{frame}");
        }
    }

    /// A JSON string's text: plain characters (some of them multi-byte), escapes of every kind.
    fn string() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 _/.:-]{1,9}",
                Just("é€😀".to_owned()),
                prop_oneof![
                    Just("\\\""),
                    Just("\\\\"),
                    Just("\\/"),
                    Just("\\b"),
                    Just("\\f"),
                    Just("\\n"),
                    Just("\\r"),
                    Just("\\t"),
                    Just("\\u00e9"),
                    Just("\\uD83D\\uDE00"),
                    Just("\\udc00"),
                ]
                .prop_map(str::to_owned),
            ],
            0..4,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    fn space() -> impl Strategy<Value = &'static str> {
        prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t "), 1 => Just("\r\n")]
    }

    /// Any JSON value as text, with whitespace where JSON allows it.
    fn json() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
            string(),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec((space(), string(), space(), inner.clone()), 0..4).prop_map(
                    |members| {
                        let members: Vec<String> = members
                            .into_iter()
                            .map(|(s, key, t, value)| format!("{s}{key}{t}:{s}{value}{t}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }
                ),
                proptest::collection::vec((space(), inner), 0..4).prop_map(|items| {
                    let items: Vec<String> = items.into_iter().map(|(s, v)| format!("{s}{v}{s}")).collect();
                    format!("[{}]", items.join(","))
                }),
            ]
        })
    }

    /// A `_meta`: the envelope's keys (sometimes twice), a progress token, anything else.
    fn meta() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just(keys::PROTOCOL_VERSION.to_owned()),
            Just(keys::CLIENT_CAPABILITIES.to_owned()),
            Just(keys::LOG_LEVEL.to_owned()),
            Just("progressToken".to_owned()),
            Just("io.modelcontextprotocol/clientInfo".to_owned()),
            "[a-z]{1,5}",
        ];
        prop_oneof![
            4 => proptest::collection::vec((key, json()), 0..5).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k)))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
            // Another type (an object's keys are the first arm's: one with an escape would be
            // serde's to read).
            // A number or a string with an escape is serde's (it converts them).
            1 => json().prop_filter("not an object, a number or an escaped string", |j| {
                let number_or_object = j.starts_with(['{', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
                let escaped = j.starts_with('"') && j.contains('\\');
                !number_or_object && !escaped
            }),
        ]
    }

    /// A member of a call's params: those the head reads (sometimes twice, sometimes `null`),
    /// and others.
    fn param() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            3 => (
                prop_oneof![
                    Just("name"),
                    Just("uri"),
                    Just("arguments"),
                    Just("inputResponses"),
                    Just("requestState"),
                    Just("other"),
                ],
                json(),
            )
                .prop_map(|(k, v)| (k.to_owned(), v)),
            2 => meta().prop_map(|m| ("_meta".to_owned(), m)),
        ]
    }

    /// A frame: a call's members in any order, some of them changed or repeated, others added.
    fn frame() -> impl Strategy<Value = String> {
        let id = prop_oneof![
            4 => (-1000_i64..1000).prop_map(|n| n.to_string()),
            2 => string(),
            1 => Just("null".to_owned()),
            1 => Just("1.5".to_owned()),
            1 => Just("123456789012345678901234567890".to_owned()),
        ];
        let method = prop_oneof![
            6 => Just("\"tools/call\"".to_owned()),
            1 => Just("\"tools\\/call\"".to_owned()),
            1 => Just("\"tools/list\"".to_owned()),
        ];
        let jsonrpc = prop_oneof![8 => Just("\"2.0\"".to_owned()), 1 => Just("\"1.0\"".to_owned())];
        let params = proptest::collection::vec((space(), param()), 0..6).prop_map(|members| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(s, (k, v))| format!("{s}{}{s}:{v}", serde_json::Value::from(k)))
                .collect();
            format!("{{{}}}", members.join(","))
        });
        let extra = proptest::collection::vec(
            (
                prop_oneof![
                    Just("id"),
                    Just("result"),
                    Just("error"),
                    Just("params"),
                    Just("extra"),
                    Just("jsonrpc")
                ],
                json(),
            ),
            0..2,
        );
        (jsonrpc, id, method, params, extra, any::<u64>(), space()).prop_map(
            |(jsonrpc, id, method, params, extra, order, end)| {
                let mut members = vec![
                    ("jsonrpc".to_owned(), jsonrpc),
                    ("id".to_owned(), id),
                    ("method".to_owned(), method),
                    ("params".to_owned(), params),
                ];
                members.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
                // A member order from the seed.
                let count = members.len();
                members.rotate_left((order % count as u64) as usize);
                if order & 0x100 != 0 {
                    members.swap(0, count - 1);
                }
                let members: Vec<String> = members.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}{end}", members.join(","))
            },
        )
    }

    /// A change to a frame's bytes: a byte removed, a JSON-significant byte inserted or put in
    /// place of another, the frame cut short.
    fn damage(frame: &str, at: usize, how: u8, byte: u8) -> String {
        let mut bytes = frame.as_bytes().to_vec();
        let at = at % (bytes.len() + 1);
        const SIGNIFICANT: &[u8] = b"{}[]\",:\\ 0-.eE+tn\x01u";
        let byte = SIGNIFICANT[byte as usize % SIGNIFICANT.len()];
        match how % 4 {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, byte),
            2 if at < bytes.len() => bytes[at] = byte,
            _ => bytes.truncate(at),
        }
        // A cut through a multi-byte character is not a `&str`; such a frame never reaches the
        // engine (the transports check UTF-8 first).
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// On generated frames, whatever their members, order, repeats and whitespace, the
        /// scanner answers as serde does, and it answers every call serde reads that has no
        /// escaped key and no deep nesting.
        #[test]
        fn the_scanner_reads_generated_frames_as_serde_does(frame in frame()) {
            let answered = agrees(&frame)?;
            let by_serde = classify_call_by_serde(&frame).is_some();
            // The generator's frame, params and `_meta` keys have no escape, and its nesting
            // stays within the scanner's depth: every call serde reads is the scanner's.
            prop_assert!(!by_serde || answered.is_some(), "the scanner left a call serde reads: {}", frame);
        }

        /// Damaged frames: what the scanner still answers is JSON and is what serde reads.
        #[test]
        fn the_scanner_never_answers_for_a_damaged_frame_what_serde_would_not(
            frame in frame(),
            changes in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
        ) {
            let mut damaged = frame;
            for (at, how, byte) in changes {
                damaged = damage(&damaged, at, how, byte);
            }
            agrees(&damaged)?;
        }

        /// A frame read after another (whose `_meta` this thread then remembers) is read as it
        /// is with nothing remembered, whether it repeats that `_meta`, changes it or damages it.
        #[test]
        fn what_is_remembered_never_changes_an_answer(
            first in frame(),
            other in frame(),
            changes in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..3),
            how in 0_u8..3,
        ) {
            // The second frame: the first one again, or another one carrying the first one's
            // `_meta` and what follows it, or another one; then perhaps damaged.
            let second = match (how, first.find("\"_meta\":"), other.find("\"_meta\":")) {
                (0, _, _) => first.clone(),
                (1, Some(a), Some(b)) => format!("{}{}", &other[..b], &first[a..]),
                _ => other,
            };
            let mut damaged = second;
            for (at, how, byte) in changes {
                damaged = damage(&damaged, at, how, byte);
            }
            let expected = fresh(&damaged);
            forget();
            let _ = call(&first);
            prop_assert_eq!(call(&damaged).map(|read| positions(&damaged, &read)), expected);
        }

        #[test]
        fn the_scanner_never_panics(text in "\\PC{0,300}") {
            let _ = call(&text);
            let framed = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{text}}}"#);
            agrees(&framed)?;
        }
    }
}
