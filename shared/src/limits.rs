//! Hard limits on what a peer may send, and the guard that measures a sync message's *inflated*
//! size before automerge parses it.
//!
//! Why the guard exists: automerge inflates DEFLATE-compressed chunks (compressed change chunks,
//! and compressed columns inside document and bundle chunks) with no cap, so a 1 MiB frame can
//! expand to gigabytes. [`inflated_size`] walks the chunk headers and column metadata itself and
//! inflates with a cap, so a bomb is refused after at most `cap` bytes of work.

use std::io::Read;

/// Largest WebSocket message the server accepts.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Largest total size of the changes in one sync message once inflated.
pub const MAX_INFLATED_BYTES: usize = 4 * 1024 * 1024;
/// Bytes of sync messages whose changes may wait, per document, for dependencies that have not
/// arrived yet (automerge queues such changes in memory). Over it the sender is refused and the
/// queue is dropped.
pub const MAX_QUEUED_BYTES: usize = 1024 * 1024;
/// The history budget of one document: operations (automerge keeps deleted ones too) and
/// changes. A reflection of 100 notes typed and dragged around holds a few tens of thousands of
/// operations; this budget is several times that, and keeps a document loadable in well under a
/// second and small enough to send.
pub const MAX_DOCUMENT_OPS: u64 = 250_000;
/// See [`MAX_DOCUMENT_OPS`].
pub const MAX_DOCUMENT_CHANGES: u64 = 50_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DEFLATE_BIT: u64 = 0b1000;

/// Why a change payload was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("changes inflate to more than {cap} bytes")]
    TooLarge { cap: usize },
    #[error("malformed change chunk: {0}")]
    Malformed(&'static str),
}

/// Total inflated size of a list of change payloads (each holding one or more chunks).
pub fn inflated_size<'a>(
    payloads: impl IntoIterator<Item = &'a [u8]>,
    cap: usize,
) -> Result<usize, LimitError> {
    let mut total = 0usize;
    for payload in payloads {
        let mut rest = payload;
        while !rest.is_empty() {
            let (size, tail) =
                chunk_size(rest, cap.saturating_sub(total)).map_err(|e| match e {
                    LimitError::TooLarge { .. } => LimitError::TooLarge { cap },
                    other => other,
                })?;
            total = total.saturating_add(size);
            if total > cap {
                return Err(LimitError::TooLarge { cap });
            }
            rest = tail;
        }
    }
    Ok(total)
}

/// The inflated size of the first chunk in `bytes`, and what follows it.
fn chunk_size(bytes: &[u8], budget: usize) -> Result<(usize, &[u8]), LimitError> {
    let mut r = Cursor(bytes);
    if r.take(4)? != MAGIC {
        return Err(LimitError::Malformed("bad magic bytes"));
    }
    r.take(4)?; // checksum
    let chunk_type = r.take(1)?[0];
    let len = usize::try_from(r.uleb()?).map_err(|_| LimitError::Malformed("length"))?;
    let body = r.take(len)?;
    let size = match chunk_type {
        // A change chunk: its columns are never compressed (automerge refuses them).
        1 => bytes.len() - r.0.len(),
        // A compressed change chunk: the whole body is DEFLATE.
        2 => inflate_len(body, budget)?,
        // Document (0) and bundle (3): columns may be compressed one by one.
        0 => columns_size(body, &[Section::Actors, Section::Heads], budget)?,
        3 => columns_size(body, &[Section::Heads, Section::Actors], budget)?,
        _ => return Err(LimitError::Malformed("unknown chunk type")),
    };
    Ok((size, r.0))
}

enum Section {
    Actors,
    Heads,
}

/// Inflated size of a document or bundle body. Both start with a prefix (actors and heads, in
/// their own order), then two column groups. A document lists both groups' metadata before both
/// groups' data; a bundle interleaves metadata and data per group.
fn columns_size(body: &[u8], prefix: &[Section], budget: usize) -> Result<usize, LimitError> {
    let mut r = Cursor(body);
    for section in prefix {
        let n = r.uleb()?;
        for _ in 0..n {
            match section {
                Section::Heads => {
                    r.take(32)?;
                }
                Section::Actors => {
                    let l =
                        usize::try_from(r.uleb()?).map_err(|_| LimitError::Malformed("actor"))?;
                    r.take(l)?;
                }
            }
        }
    }
    let is_document = matches!(prefix.first(), Some(Section::Actors));
    let mut total = body.len();
    let measure = |r: &mut Cursor<'_>, meta: &[(u64, usize)], total: &mut usize| {
        for &(spec, len) in meta {
            let data = r.take(len)?;
            let inflated;
            let column = if spec & DEFLATE_BIT != 0 {
                inflated = inflate(data, budget.saturating_sub(*total))?;
                *total = total.saturating_add(inflated.len());
                &inflated[..]
            } else {
                data
            };
            // Run-length encoding is a bomb of its own: a few bytes can declare billions of
            // values, which automerge collects into memory. Count them against the budget.
            *total = total.saturating_add(column_values(spec, column, budget));
            if *total > budget {
                return Err(LimitError::TooLarge { cap: budget });
            }
        }
        Ok::<(), LimitError>(())
    };
    if is_document {
        let change_meta = r.columns()?;
        let ops_meta = r.columns()?;
        measure(&mut r, &change_meta, &mut total)?;
        measure(&mut r, &ops_meta, &mut total)?;
    } else {
        let change_meta = r.columns()?;
        measure(&mut r, &change_meta, &mut total)?;
        let ops_meta = r.columns()?;
        measure(&mut r, &ops_meta, &mut total)?;
    }
    if total > budget {
        return Err(LimitError::TooLarge { cap: budget });
    }
    Ok(total)
}

/// How many values a column decodes to (RLE runs, null runs, boolean runs expanded), counting
/// no further than just past `cap`. A column this walk cannot read counts what was read so far:
/// it only ever adds to the measured size, so it cannot refuse a change automerge would accept
/// unless that change really declares that many values.
fn column_values(spec: u64, data: &[u8], cap: usize) -> usize {
    let mut r = Cursor(data);
    let mut n = 0usize;
    let kind = spec & 0b111;
    while !r.0.is_empty() && n <= cap {
        let step = match kind {
            // Raw values: their length is already counted in bytes.
            7 => return n,
            // Boolean: alternating run lengths.
            4 => r.uleb().ok().map(|run| run as usize),
            _ => rle_step(&mut r, kind),
        };
        match step {
            Some(k) => n = n.saturating_add(k),
            None => return n,
        }
    }
    n
}

/// One step of an RLE column: a run, a literal sequence or a null run; the values it declares.
fn rle_step(r: &mut Cursor<'_>, kind: u64) -> Option<usize> {
    let count = r.sleb().ok()?;
    let value = |r: &mut Cursor<'_>| -> Option<()> {
        match kind {
            // Delta integers are signed LEB128.
            3 => r.sleb().ok().map(|_| ()),
            // Strings: a length, then the bytes.
            5 => {
                let len = usize::try_from(r.uleb().ok()?).ok()?;
                r.take(len).ok().map(|_| ())
            }
            _ => r.uleb().ok().map(|_| ()),
        }
    };
    match count {
        0 => r.uleb().ok().map(|nulls| nulls as usize),
        c if c > 0 => {
            value(r)?;
            Some(c as usize)
        }
        c => {
            let literals = c.unsigned_abs() as usize;
            for _ in 0..literals {
                value(r)?;
            }
            Some(literals)
        }
    }
}

/// Inflates raw DEFLATE data, failing as soon as it passes `budget` bytes.
fn inflate(data: &[u8], budget: usize) -> Result<Vec<u8>, LimitError> {
    let decoder = flate2::bufread::DeflateDecoder::new(data);
    let mut out = Vec::new();
    decoder
        .take(budget as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| LimitError::Malformed("bad DEFLATE data"))?;
    if out.len() > budget {
        return Err(LimitError::TooLarge { cap: budget });
    }
    Ok(out)
}

/// Inflates raw DEFLATE data, stopping as soon as it passes `budget` bytes.
fn inflate_len(data: &[u8], budget: usize) -> Result<usize, LimitError> {
    let decoder = flate2::bufread::DeflateDecoder::new(data);
    let mut limited = decoder.take(budget as u64 + 1);
    let mut sink = [0u8; 16 * 1024];
    let mut n = 0usize;
    loop {
        match limited.read(&mut sink) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return Err(LimitError::Malformed("bad DEFLATE data")),
        }
        if n > budget {
            return Err(LimitError::TooLarge { cap: budget });
        }
    }
    Ok(n)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LimitError> {
        if n > self.0.len() {
            return Err(LimitError::Malformed("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, LimitError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(LimitError::Malformed("LEB128 overflow"))
    }

    fn sleb(&mut self) -> Result<i64, LimitError> {
        let mut value = 0i64;
        let mut shift = 0u32;
        loop {
            let byte = self.take(1)?[0];
            if shift < 64 {
                value |= i64::from(byte & 0x7f) << shift;
            }
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift >= 70 {
                return Err(LimitError::Malformed("LEB128 overflow"));
            }
        }
    }

    /// Column metadata: a count, then (spec, length) pairs.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, LimitError> {
        let n = self.uleb()?;
        let mut out = Vec::new();
        for _ in 0..n {
            let spec = self.uleb()?;
            let len = usize::try_from(self.uleb()?).map_err(|_| LimitError::Malformed("length"))?;
            out.push((spec, len));
        }
        Ok(out)
    }
}

/// The most probes and bits per entry a peer's Bloom filter may declare (automerge writes 7 and
/// 10).
pub const MAX_BLOOM_PARAMETER: u64 = 64;

/// Checks the Bloom filters in a peer's sync message before automerge uses them. automerge 0.12
/// trusts their header: a filter that declares entries but zero bits divides by zero when the
/// server computes its reply (a panic that would take the workshop task down), and one that
/// declares billions of probes allocates them. Found by the `sync_message` fuzz target.
pub fn check_blooms(msg: &automerge::sync::Message) -> Result<(), String> {
    for have in &msg.have {
        let bytes = have.bloom.to_bytes();
        if bytes.is_empty() {
            continue; // an empty filter (no entries) is never probed
        }
        let mut input = Cursor(&bytes);
        let mut field = || {
            input
                .uleb()
                .map_err(|e| format!("unreadable Bloom filter: {e}"))
        };
        let (entries, bits_per_entry, probes) = (field()?, field()?, field()?);
        if entries > 0
            && (bits_per_entry == 0
                || probes == 0
                || bits_per_entry > MAX_BLOOM_PARAMETER
                || probes > MAX_BLOOM_PARAMETER
                || input.0.is_empty())
        {
            return Err(format!(
                "a Bloom filter of {entries} entries with {bits_per_entry} bits each and \
                 {probes} probes is not one a peer writes"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ObjType};
    use std::io::Write;

    fn doc_with_text(n: usize) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let t = tx.put_object(automerge::ROOT, "t", ObjType::Text)?;
            tx.splice_text(&t, 0, 0, &"ab".repeat(n))?;
            Ok(())
        })
        .unwrap();
        doc
    }

    #[test]
    fn plain_changes_and_documents_are_measured() {
        let doc = doc_with_text(10);
        let changes = doc.save_after(&[]);
        let size = inflated_size([changes.as_slice()], MAX_INFLATED_BYTES).unwrap();
        assert!(size >= changes.len());
        // A whole saved document (compressed columns) inflates to at least its own size.
        let saved = doc_with_text(5000).save();
        let size = inflated_size([saved.as_slice()], MAX_INFLATED_BYTES).unwrap();
        assert!(size > saved.len(), "{size} vs {}", saved.len());
    }

    #[test]
    fn a_document_that_inflates_past_the_cap_is_refused() {
        let saved = doc_with_text(50_000).save();
        assert_eq!(
            inflated_size([saved.as_slice()], 20_000),
            Err(LimitError::TooLarge { cap: 20_000 })
        );
    }

    /// A compressed change chunk whose body is 64 MiB of zeros in a few KiB: refused without
    /// inflating it all.
    #[test]
    fn a_decompression_bomb_is_refused() {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let body = enc.finish().unwrap();
        assert!(body.len() < MAX_FRAME_BYTES);
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0, 0, 0, 0, 2]);
        let mut len = body.len();
        loop {
            let b = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                chunk.push(b);
                break;
            }
            chunk.push(b | 0x80);
        }
        chunk.extend(&body);
        assert_eq!(
            inflated_size([chunk.as_slice()], MAX_INFLATED_BYTES),
            Err(LimitError::TooLarge {
                cap: MAX_INFLATED_BYTES
            })
        );
    }

    /// Found by `crates/fuzz` (`change_chunks`): 30-byte bundle chunks whose delta column
    /// declares billions of values; automerge tried to allocate gigabytes for them.
    #[test]
    fn a_run_length_bomb_is_refused() {
        use base64_free::decode;
        for b64 in [
            "hW9Kg0YAAP8DFAAAAAEjCor//////x4AAAAAAAAA",
            "hW9Kg0YAAP8DFAAAAAEjCv////////8LhQAGAO+4",
        ] {
            let chunk = decode(b64);
            assert_eq!(
                inflated_size([chunk.as_slice()], MAX_INFLATED_BYTES),
                Err(LimitError::TooLarge {
                    cap: MAX_INFLATED_BYTES
                }),
                "{b64}"
            );
        }
    }

    /// A tiny base64 decoder, so the regression inputs can be kept as libFuzzer prints them.
    mod base64_free {
        pub fn decode(s: &str) -> Vec<u8> {
            let val = |c: u8| match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                _ => 63,
            };
            let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
            let mut out = Vec::new();
            for chunk in bytes.chunks(4) {
                let mut acc = 0u32;
                for (i, &v) in chunk.iter().enumerate() {
                    acc |= u32::from(v) << (18 - 6 * i);
                }
                for i in 0..chunk.len().saturating_sub(1) {
                    out.push((acc >> (16 - 8 * i)) as u8);
                }
            }
            out
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [
            &b"\x85\x6f\x4a"[..],
            b"hello world",
            &[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0, 0xff],
        ] {
            assert!(matches!(
                inflated_size([bytes], MAX_INFLATED_BYTES),
                Err(LimitError::Malformed(_))
            ));
        }
    }
}
