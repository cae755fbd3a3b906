//! The little MessagePack the host calls speak: arrays, strings, binaries and unsigned integers.
//! Written here so the crate has no dependencies (it builds offline with Debian's toolchain).

pub(crate) fn array(out: &mut Vec<u8>, len: usize) {
    if len < 16 {
        out.push(0x90 | len as u8);
    } else {
        out.push(0xdc);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    }
}

pub(crate) fn str(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len < 256 {
        out.push(0xd9);
        out.push(len as u8);
    } else if len < 65536 {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(text.as_bytes());
}

pub(crate) fn bin(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 256 {
        out.push(0xc4);
        out.push(len as u8);
    } else if len < 65536 {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

pub(crate) fn uint(out: &mut Vec<u8>, value: u32) {
    if value < 128 {
        out.push(value as u8);
    } else if value < 65536 {
        out.push(0xcd);
        out.extend_from_slice(&(value as u16).to_be_bytes());
    } else {
        out.push(0xce);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

pub(crate) fn headers(out: &mut Vec<u8>, headers: &[(String, String)]) {
    array(out, headers.len());
    for (name, value) in headers {
        array(out, 2);
        str(out, name);
        str(out, value);
    }
}

/// Reads what the host wrote; any surprise is `None` (the host's encoding is fixed).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn be(&mut self, len: usize) -> Option<usize> {
        Some(self.take(len)?.iter().fold(0usize, |n, b| (n << 8) | *b as usize))
    }

    pub(crate) fn array(&mut self) -> Option<usize> {
        match self.byte()? {
            b @ 0x90..=0x9f => Some((b & 0x0f) as usize),
            0xdc => self.be(2),
            0xdd => self.be(4),
            _ => None,
        }
    }

    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = match self.byte()? {
            b @ 0xa0..=0xbf => (b & 0x1f) as usize,
            0xc4 | 0xd9 => self.be(1)?,
            0xc5 | 0xda => self.be(2)?,
            0xc6 | 0xdb => self.be(4)?,
            0xc0 => 0,
            _ => return None,
        };
        self.take(len)
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    pub(crate) fn uint(&mut self) -> Option<u64> {
        match self.byte()? {
            b @ 0x00..=0x7f => Some(b as u64),
            0xcc => self.be(1).map(|n| n as u64),
            0xcd => self.be(2).map(|n| n as u64),
            0xce => self.be(4).map(|n| n as u64),
            0xcf => self.be(8).map(|n| n as u64),
            _ => None,
        }
    }

    pub(crate) fn headers(&mut self) -> Option<Vec<(String, String)>> {
        let count = self.array()?;
        let mut headers = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            if self.array()? != 2 {
                return None;
            }
            headers.push((self.string()?, self.string()?));
        }
        Some(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_binaries_of_every_width_read_back() {
        for len in [0usize, 31, 32, 255, 256, 65535, 65536] {
            let text = "x".repeat(len);
            let mut out = Vec::new();
            str(&mut out, &text);
            bin(&mut out, text.as_bytes());
            let mut reader = Reader::new(&out);
            assert_eq!(reader.string().as_deref(), Some(text.as_str()));
            assert_eq!(reader.bytes(), Some(text.as_bytes()));
        }
    }

    #[test]
    fn headers_and_integers_read_back() {
        let mut out = Vec::new();
        uint(&mut out, 404);
        headers(&mut out, &[("a".into(), "b".into())]);
        let mut reader = Reader::new(&out);
        assert_eq!(reader.uint(), Some(404));
        assert_eq!(reader.headers(), Some(vec![("a".to_string(), "b".to_string())]));
    }

    #[test]
    fn a_truncated_value_is_none() {
        let mut out = Vec::new();
        str(&mut out, "hello");
        assert_eq!(Reader::new(&out[..3]).string(), None);
    }
}
