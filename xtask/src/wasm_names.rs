//! What a surface's wasm holds, read from its function names (the `name` custom section that
//! the linker writes and wasm-opt strips later): an extension page's wasm must hold no engine,
//! no vault and no oauth2, and the worker's must (so the check can fail).

use crate::Result;

/// The crates and modules a surface must not hold, and those it must, as they appear in a
/// function name (v0 and legacy mangling both keep the path's segments readable).
fn rules(surface: &str) -> (&'static [&'static str], &'static [&'static str]) {
    const ENGINE: &str = "tokenwatch_core::engine::";
    const VAULT: &str = "tokenwatch_core::vault::";
    const OAUTH2: &str = "oauth2::";
    match surface {
        "pages" => (
            &[ENGINE, VAULT, OAUTH2],
            &["tokenwatch::popup::", "tokenwatch::options::"],
        ),
        "worker" => (&[], &[ENGINE, VAULT, OAUTH2]),
        "pane" => (&[], &[ENGINE, VAULT, OAUTH2, "tokenwatch::outlook::"]),
        _ => (&[], &[]),
    }
}

/// Fails when `surface`'s function names hold what it must not, or lack what it must.
pub fn check_surface(surface: &str, names: &[String]) -> Result {
    if names.is_empty() {
        return Err(format!(
            "the {surface} wasm has no function names to check (was it stripped before wasm-opt?)"
        ));
    }
    let (forbidden, required) = rules(surface);
    // LLVM merges functions with identical code and keeps one of their names: the drop glue
    // of an oauth2 type that holds one `String` is the drop glue of every such type, so its
    // name says nothing of what the surface holds.
    let telling = |n: &&String| !n.starts_with("core::ptr::drop_in_place<");
    for part in forbidden {
        if let Some(name) = names.iter().filter(telling).find(|n| n.contains(part)) {
            return Err(format!(
                "the {surface} wasm holds {part}… (for example {name}); it must not"
            ));
        }
    }
    for part in required {
        if !names.iter().any(|n| n.contains(part)) {
            return Err(format!("the {surface} wasm holds nothing of {part}…"));
        }
    }
    Ok(())
}

/// The function names in `wasm`'s `name` section (subsection 1), demangled enough to search:
/// the legacy `_ZN` form's length-prefixed segments are joined with `::`.
pub fn function_names(wasm: &[u8]) -> Result<Vec<String>> {
    let mut r = Reader { bytes: wasm, at: 0 };
    if r.take(8)? != b"\0asm\x01\0\0\0" {
        return Err("not a wasm module (version 1)".into());
    }
    let mut names = Vec::new();
    while r.at < r.bytes.len() {
        let id = r.byte()?;
        let size = r.leb()? as usize;
        let body = r.take(size)?;
        if id != 0 {
            continue;
        }
        let mut s = Reader { bytes: body, at: 0 };
        if s.name()? != "name" {
            continue;
        }
        while s.at < s.bytes.len() {
            let kind = s.byte()?;
            let len = s.leb()? as usize;
            let sub = s.take(len)?;
            if kind != 1 {
                continue;
            }
            let mut f = Reader { bytes: sub, at: 0 };
            for _ in 0..f.leb()? {
                f.leb()?;
                names.push(readable(&f.name()?));
            }
        }
    }
    Ok(names)
}

/// `_ZN5oauth28revocation…17h0123E` → `oauth2::revocation::…`; other names as they are.
fn readable(name: &str) -> String {
    let Some(mut rest) = name.strip_prefix("_ZN") else {
        return name.to_owned();
    };
    let mut parts = Vec::new();
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(len) = rest[..digits].parse::<usize>() else {
            break;
        };
        let Some(part) = rest.get(digits..digits + len) else {
            break;
        };
        parts.push(part);
        rest = &rest[digits + len..];
    }
    parts.join("::")
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or("the wasm module ends early")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn leb(&mut self) -> Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a LEB128 number longer than 32 bits".into())
    }

    fn name(&mut self) -> Result<String> {
        let len = self.leb()? as usize;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_mangled_names_read_as_paths() {
        assert_eq!(
            readable("_ZN15tokenwatch_core6engine6Engine6handle17h0123456789abcdefE"),
            "tokenwatch_core::engine::Engine::handle::h0123456789abcdef"
        );
        assert_eq!(readable("memcpy"), "memcpy");
    }

    #[test]
    fn a_page_holding_the_engine_is_refused_and_one_without_it_passes() {
        let page = |extra: &str| {
            vec![
                "tokenwatch::popup::popup_main".to_owned(),
                "tokenwatch::options::options_main".to_owned(),
                extra.to_owned(),
            ]
        };
        assert!(check_surface("pages", &page("serde_json::de::from_slice")).is_ok());
        let err =
            check_surface("pages", &page("tokenwatch_core::engine::Engine::handle")).unwrap_err();
        assert!(err.contains("tokenwatch_core::engine::"), "{err}");
        assert!(check_surface("pages", &page("oauth2::token::exchange")).is_err());
        assert!(
            check_surface(
                "pages",
                &page("core::ptr::drop_in_place<oauth2::AccessToken>")
            )
            .is_ok(),
            "merged drop glue"
        );
        assert!(
            check_surface("worker", &page("")).is_err(),
            "a worker without an engine"
        );
        assert!(check_surface("pages", &[]).is_err());
    }

    #[test]
    fn reads_the_function_names_of_a_module() {
        // A module with only a name section naming function 0 `f`.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let sub = [1u8, 4, 1, 0, 1, b'f'];
        let mut custom = vec![4, b'n', b'a', b'm', b'e'];
        custom.extend_from_slice(&sub);
        m.push(0);
        m.push(custom.len() as u8);
        m.extend_from_slice(&custom);
        assert_eq!(function_names(&m).unwrap(), vec!["f".to_owned()]);
        assert!(function_names(&m[..m.len() - 1]).is_err());
    }
}
