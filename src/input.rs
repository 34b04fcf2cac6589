//! Reading NDJSON: files, stdin, gzip, and a line-length bound that holds even against a file
//! with no newline at all.
//!
//! Memory stays flat whatever the input size: one reusable line buffer, at most `max_line_bytes`
//! long. A longer line is discarded as it streams past (`fill_buf`/`consume` up to the next
//! newline), never held whole.
//!
//! Plain files are memory-mapped (unless `--no-mmap`): the page cache is read in place, which
//! saves copying every byte through a read buffer (a quarter of the run time on a prefiltered
//! workload). A mapped file must not shrink while it is read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

/// Where input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file (plain or gzip).
    File(PathBuf),
    /// The bundled sample, compiled into the binary.
    Sample,
}

impl Source {
    /// The name used in messages and line locations.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) => p.display().to_string(),
            Source::Sample => "<sample>".to_owned(),
        }
    }
}

/// The bundled sample: `eql-detect gen --events 5000 --seed 42 -o data/sample.ndjson.gz`.
pub const SAMPLE_GZ: &[u8] = include_bytes!("../data/sample.ndjson.gz");

/// Buffer size for files and stdin: large enough that syscalls and decompression calls are rare.
const READ_BUFFER: usize = 1 << 20;

/// An open source: a buffered reader over the (possibly decompressed) bytes, and its size on disk
/// when known (for the progress bar).
pub struct Opened {
    /// The decoded bytes.
    pub reader: Box<dyn BufRead>,
    /// Compressed (on-disk) length, if known.
    pub len: Option<u64>,
    /// Whether the bytes are being decompressed.
    pub gzip: bool,
    /// A plain (not gzip) file mapped into memory; `reader` is then empty.
    pub mapped: Option<Mapped>,
}

/// Opens a source. Gzip is recognised by its magic bytes, not the file name, so `zcat`-less
/// pipelines (`cat x.gz | eql-detect`) work too.
pub fn open(
    source: &Source,
    progress: Option<&indicatif::ProgressBar>,
    mmap: bool,
) -> io::Result<Opened> {
    match source {
        Source::Stdin => sniff(
            Box::new(BufReader::with_capacity(READ_BUFFER, io::stdin())),
            None,
        ),
        Source::Sample => sniff(Box::new(SAMPLE_GZ), Some(SAMPLE_GZ.len() as u64)),
        Source::File(path) => {
            let file = open_file(path)?;
            let meta = file.metadata()?;
            let len = Some(meta.len());
            if mmap && meta.is_file() && meta.len() > 0 {
                if let Some(mapped) = Mapped::new(&file, progress.cloned()) {
                    if mapped.data().starts_with(&[0x1f, 0x8b]) {
                        return sniff(Box::new(mapped), len);
                    }
                    return Ok(Opened {
                        reader: Box::new(io::empty()),
                        len,
                        gzip: false,
                        mapped: Some(mapped),
                    });
                }
            }
            let raw: Box<dyn Read> = match progress {
                Some(pb) => Box::new(pb.wrap_read(file)),
                None => Box::new(file),
            };
            sniff(Box::new(BufReader::with_capacity(READ_BUFFER, raw)), len)
        }
    }
}

/// A memory-mapped file: its bytes at once, or read as a [`BufRead`] in chunks so that the
/// progress bar moves.
pub struct Mapped {
    map: memmap2::Mmap,
    pos: usize,
    progress: Option<indicatif::ProgressBar>,
}

impl Mapped {
    fn new(file: &File, progress: Option<indicatif::ProgressBar>) -> Option<Mapped> {
        // SAFETY: the map is only read. If another process truncates the file meanwhile, reads
        // past the new end fault (SIGBUS); that is the documented condition of mapping, and
        // `--no-mmap` reads such files through read(2) instead.
        let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
        // Sequential read-ahead; advice is only a hint, so a refusal changes nothing.
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Mapped {
            map,
            pos: 0,
            progress,
        })
    }

    /// The whole file.
    pub fn data(&self) -> &[u8] {
        &self.map
    }

    /// Marks `from..from + n` of [`Mapped::data`] as read: moves the progress bar, and lets the
    /// kernel take those pages out of the process (else a mapped file counts whole in its
    /// resident memory by the end of the run).
    pub fn advance(&self, from: usize, n: usize) {
        if let Some(pb) = &self.progress {
            pb.inc(n as u64);
        }
        #[cfg(unix)]
        // SAFETY: the mapping is private and never written, so dropping its pages loses nothing:
        // a later read of them faults the same bytes in again from the file.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, n)
        };
    }
}

impl Read for Mapped {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Mapped {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let end = self.map.len().min(self.pos + READ_BUFFER);
        Ok(&self.map[self.pos..end])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.map.len() - self.pos);
        self.pos += n;
        if let Some(pb) = &self.progress {
            pb.inc(n as u64);
        }
    }
}

fn open_file(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory",
        ));
    }
    Ok(file)
}

fn sniff(mut inner: Box<dyn BufRead>, len: Option<u64>) -> io::Result<Opened> {
    // Peek at what the first fill gives without consuming it. A pipe that delivers the two magic
    // bytes in separate reads is vanishingly rare; it would only lose gzip detection.
    let gzip = loop {
        match inner.fill_buf() {
            Ok(buf) => break buf.starts_with(&[0x1f, 0x8b]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if gzip {
        let dec = MultiGzDecoder::new(inner);
        Ok(Opened {
            reader: Box::new(BufReader::with_capacity(READ_BUFFER, dec)),
            len,
            gzip,
            mapped: None,
        })
    } else {
        Ok(Opened {
            reader: inner,
            len,
            gzip,
            mapped: None,
        })
    }
}

/// One line of a region split by [`split_lines`].
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A line, without its `\n`.
    Line(&'a [u8]),
    /// A line longer than the limit, of this many bytes (without the `\n`).
    TooLong(u64),
}

/// Splits bytes into lines exactly as [`LineReader`] does (a last line without `\n` counts
/// unless empty), calling `each` for every one.
pub fn split_lines<'a>(bytes: &'a [u8], max: usize, mut each: impl FnMut(Piece<'a>)) {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes)
        .chain((bytes.last().is_some_and(|&b| b != b'\n')).then_some(bytes.len()))
    {
        let line = &bytes[start..nl];
        start = nl + 1;
        each(if line.len() > max {
            Piece::TooLong(line.len() as u64)
        } else {
            Piece::Line(line)
        });
    }
}

/// The bytes cut into consecutive regions of at least `size` bytes (the last may be shorter),
/// each ending just past a newline or at the end of the bytes.
pub fn regions(bytes: &[u8], size: usize) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        (at < bytes.len()).then(|| {
            let end = region_end(bytes, at, size);
            let span = at..end;
            at = end;
            span
        })
    })
}

/// The end of the region of at least `size` bytes starting at `from`: just past a newline, or
/// the end of the bytes.
fn region_end(bytes: &[u8], from: usize, size: usize) -> usize {
    let at = from.saturating_add(size.max(1)).min(bytes.len());
    match memchr::memchr(b'\n', &bytes[at - 1..]) {
        Some(i) => at + i,
        None => bytes.len(),
    }
}

/// One line from a [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes, without the `\n`.
    Data(&'a [u8]),
    /// The line was longer than the limit and was discarded; `bytes` counts what was dropped
    /// (without the `\n`).
    TooLong {
        /// Length of the discarded line.
        bytes: u64,
    },
}

/// Splits a byte stream into lines with a bounded, reused buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Lines longer than `max` bytes (without the `\n`) are reported as [`Line::TooLong`].
    pub fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(max.min(64 << 10)),
            max,
        }
    }

    /// The next line, or `None` at the end of input. A final line without `\n` is still a line.
    ///
    /// On an I/O error (a truncated gzip member, say) the partial line is dropped: it cannot be
    /// told apart from a complete one, and half a document must not be evaluated.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long: Option<u64> = None;
        let mut seen_any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !seen_any {
                    return Ok(None);
                }
                break;
            }
            seen_any = true;
            let (chunk, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], true),
                None => (avail, false),
            };
            match &mut too_long {
                Some(n) => *n += chunk.len() as u64,
                None if self.buf.len() + chunk.len() > self.max => {
                    too_long = Some((self.buf.len() + chunk.len()) as u64);
                    self.buf.clear();
                }
                None => self.buf.extend_from_slice(chunk),
            }
            let used = chunk.len() + usize::from(found);
            self.inner.consume(used);
            if found {
                break;
            }
        }
        Ok(Some(match too_long {
            Some(bytes) => Line::TooLong { bytes },
            None => Line::Data(&self.buf),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per `fill_buf`, to exercise line splits
    /// across buffer boundaries.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn collect(data: &[u8], max: usize, step: usize) -> Vec<Result<String, u64>> {
        let r = BufReader::with_capacity(step, Trickle { data, step });
        let mut lr = LineReader::new(r, max);
        let mut out = Vec::new();
        while let Some(line) = lr.next_line().unwrap() {
            out.push(match line {
                Line::Data(d) => Ok(String::from_utf8_lossy(d).into_owned()),
                Line::TooLong { bytes } => Err(bytes),
            });
        }
        out
    }

    #[test]
    fn splits_lines_at_any_buffer_size() {
        let data = b"a\n\nbcd\r\nlast";
        for step in 1..8 {
            assert_eq!(
                collect(data, 100, step),
                vec![
                    Ok("a".into()),
                    Ok("".into()),
                    Ok("bcd\r".into()),
                    Ok("last".into())
                ],
                "step {step}"
            );
        }
        assert!(collect(b"", 10, 4).is_empty());
        assert_eq!(collect(b"\n", 10, 4), vec![Ok(String::new())]);
    }

    #[test]
    fn split_lines_agrees_with_the_line_reader() {
        let cases: [&[u8]; 7] = [
            b"",
            b"\n",
            b"a\nbb\n\nccc",
            b"a\nbb\n\nccc\n",
            b"xxxxxxxxxx\nyy\nzzzzzzzzzzzz",
            b"\r\n\n\n",
            b"only",
        ];
        for data in cases {
            let mut pieces = Vec::new();
            split_lines(data, 4, |p| {
                pieces.push(match p {
                    Piece::Line(l) => Ok(String::from_utf8_lossy(l).into_owned()),
                    Piece::TooLong(n) => Err(n),
                })
            });
            assert_eq!(pieces, collect(data, 4, 3), "{data:?}");
        }
    }

    #[test]
    fn regions_end_after_a_newline() {
        let data = b"aaaa\nbb\ncccccc\nd";
        let spans: Vec<_> = regions(data, 3).collect();
        assert_eq!(spans, [0..5, 5..8, 8..15, 15..16]);
        assert_eq!(regions(b"", 3).count(), 0);
        assert_eq!(region_end(b"ab\n", 0, 100), 3);
        assert_eq!(region_end(b"a\nb\n", 0, 1), 2);
    }

    #[test]
    fn over_long_lines_are_skipped_and_measured() {
        let data = b"12345\n123456\nxy\n1234567890123";
        for step in 1..9 {
            assert_eq!(
                collect(data, 5, step),
                vec![Ok("12345".into()), Err(6), Ok("xy".into()), Err(13)],
                "step {step}"
            );
        }
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"{\"a\":1}\n{\"b\":2}\n").unwrap();
        let gz = enc.finish().unwrap();
        let opened = sniff(Box::new(io::Cursor::new(gz)), None).unwrap();
        assert!(opened.gzip);
        let mut lr = LineReader::new(opened.reader, 100);
        assert_eq!(lr.next_line().unwrap(), Some(Line::Data(b"{\"a\":1}")));
        assert_eq!(lr.next_line().unwrap(), Some(Line::Data(b"{\"b\":2}")));
        assert_eq!(lr.next_line().unwrap(), None);
    }
}
