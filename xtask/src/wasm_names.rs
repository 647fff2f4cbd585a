//! What a surface's wasm holds, read from its function names (the `name` custom section that
//! the linker writes and wasm-opt strips later) and their code sizes: an extension page's wasm
//! must hold no engine, no vault and no oauth2, and the worker's must (so the check can fail).

use crate::Result;

/// The crates and modules a surface must not hold, and those it must, as they appear in a
/// function name (the linker writes them demangled: `tokenwatch_core::engine::Engine<P>::handle`).
fn rules(surface: &str) -> (&'static [&'static str], &'static [&'static str]) {
    const ENGINE: &str = "tokenwatch_core::engine::";
    const VAULT: &str = "tokenwatch_core::vault::";
    const OAUTH2: &str = "oauth2::";
    match surface {
        // serde-wasm-bindgen is the pages' one conversion: serde_json's text parser and writer
        // stay in the worker (where oauth2 and the stored records need them). Its `Value` is
        // here, 3.9 KB raw: `tag_first!`'s path for a tag that comes later buffers into it.
        // A page reaches no provider: it holds no HTTP client.
        "pages" => (
            &[
                ENGINE,
                VAULT,
                OAUTH2,
                "serde_json::de::",
                "serde_json::ser::",
                "tokenwatch::fetch::",
            ],
            &["tokenwatch::popup::", "tokenwatch::options::"],
        ),
        "worker" => (&[], &[ENGINE, VAULT, OAUTH2]),
        "pane" => (&[], &[ENGINE, VAULT, OAUTH2, "tokenwatch::outlook::"]),
        _ => (&[], &[]),
    }
}

/// LLVM merges functions with identical code and keeps one of their names: the drop glue of
/// an oauth2 type that holds one `String` is the drop glue of every such type, and one
/// `expecting` of a derived field visitor writes the same constant for all of them. Such
/// merged bodies are a few instructions; a function of a module's own is larger than this.
const MERGEABLE_BODY_BYTES: usize = 32;

/// A defined function: its name and the size of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub body_bytes: usize,
}

/// Fails when `surface`'s functions hold what it must not, or lack what it must.
pub fn check_surface(surface: &str, functions: &[Function]) -> Result {
    if functions.iter().all(|f| f.name.is_empty()) {
        return Err(format!(
            "the {surface} wasm has no function names to check (was it stripped before wasm-opt?)"
        ));
    }
    let (forbidden, required) = rules(surface);
    let own = |f: &&Function| f.body_bytes > MERGEABLE_BODY_BYTES;
    for part in forbidden {
        if let Some(f) = functions.iter().filter(own).find(|f| f.name.contains(part)) {
            return Err(format!(
                "the {surface} wasm holds {part}… (for example {}, {} bytes); it must not",
                f.name, f.body_bytes
            ));
        }
    }
    for part in required {
        if !functions.iter().filter(own).any(|f| f.name.contains(part)) {
            return Err(format!("the {surface} wasm holds nothing of {part}…"));
        }
    }
    Ok(())
}

/// The defined functions of `wasm`, each with its name from the `name` section (subsection 1;
/// empty where it has none) and its body size from the code section.
pub fn functions(wasm: &[u8]) -> Result<Vec<Function>> {
    let mut r = Reader { bytes: wasm, at: 0 };
    if r.take(8)? != b"\0asm\x01\0\0\0" {
        return Err("not a wasm module (version 1)".into());
    }
    let mut imported = 0usize;
    let mut sizes = Vec::new();
    let mut names = std::collections::HashMap::new();
    while r.at < r.bytes.len() {
        let id = r.byte()?;
        let size = r.leb()? as usize;
        let mut s = Reader {
            bytes: r.take(size)?,
            at: 0,
        };
        match id {
            2 => imported = imported_functions(&mut s)?,
            10 => {
                for _ in 0..s.leb()? {
                    let len = s.leb()? as usize;
                    s.take(len)?;
                    sizes.push(len);
                }
            }
            0 if s.name()? == "name" => {
                while s.at < s.bytes.len() {
                    let kind = s.byte()?;
                    let len = s.leb()? as usize;
                    let mut f = Reader {
                        bytes: s.take(len)?,
                        at: 0,
                    };
                    if kind != 1 {
                        continue;
                    }
                    for _ in 0..f.leb()? {
                        let index = f.leb()? as usize;
                        names.insert(index, f.name()?);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(sizes
        .into_iter()
        .enumerate()
        .map(|(i, body_bytes)| Function {
            name: names.remove(&(imported + i)).unwrap_or_default(),
            body_bytes,
        })
        .collect())
}

/// How many functions the import section imports (they come first in the function index space).
fn imported_functions(s: &mut Reader<'_>) -> Result<usize> {
    let mut functions = 0;
    for _ in 0..s.leb()? {
        s.name()?;
        s.name()?;
        match s.byte()? {
            0 => {
                s.leb()?;
                functions += 1;
            }
            1 => {
                s.byte()?;
                limits(s)?;
            }
            2 => limits(s)?,
            3 => {
                s.byte()?;
                s.byte()?;
            }
            4 => {
                s.byte()?;
                s.leb()?;
            }
            kind => return Err(format!("an import of unknown kind {kind}")),
        }
    }
    Ok(functions)
}

fn limits(s: &mut Reader<'_>) -> Result {
    let flags = s.byte()?;
    s.leb()?;
    if flags & 1 == 1 {
        s.leb()?;
    }
    Ok(())
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
    fn a_page_holding_the_engine_is_refused_and_one_without_it_passes() {
        let f = |name: &str, body_bytes| Function {
            name: name.to_owned(),
            body_bytes,
        };
        let page = |extra: Function| {
            vec![
                f("tokenwatch::popup::popup_main", 400),
                f("tokenwatch::options::options_main", 400),
                extra,
            ]
        };
        assert!(
            check_surface("pages", &page(f("serde_wasm_bindgen::de::from_value", 900))).is_ok()
        );
        assert!(check_surface("pages", &page(f("serde_json::de::from_slice", 900))).is_err());
        let err = check_surface(
            "pages",
            &page(f("tokenwatch_core::engine::Engine::handle", 900)),
        )
        .unwrap_err();
        assert!(err.contains("tokenwatch_core::engine::"), "{err}");
        assert!(check_surface("pages", &page(f("oauth2::token::exchange", 300))).is_err());
        assert!(
            check_surface(
                "pages",
                &page(f("core::ptr::drop_in_place<oauth2::AccessToken>", 24))
            )
            .is_ok(),
            "merged drop glue"
        );
        assert!(
            check_surface("worker", &page(f("", 10))).is_err(),
            "a worker without an engine"
        );
        assert!(check_surface("pages", &[f("", 100)]).is_err());
    }

    #[test]
    fn reads_the_functions_of_a_module() {
        // One imported function, two defined ones (bodies of 2 and 3 bytes), names for the
        // import and the second defined function.
        let section = |id: u8, body: &[u8]| {
            let mut s = vec![id, body.len() as u8];
            s.extend_from_slice(body);
            s
        };
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(2, &[1, 1, b'm', 1, b'f', 0, 0]));
        m.extend(section(10, &[2, 2, 0, 0x0b, 3, 0, 0x01, 0x0b]));
        let names = [1u8, 7, 2, 0, 1, b'i', 2, 1, b'g'];
        let mut custom = vec![4, b'n', b'a', b'm', b'e'];
        custom.extend_from_slice(&names);
        m.extend(section(0, &custom));
        assert_eq!(
            functions(&m).unwrap(),
            vec![
                Function {
                    name: String::new(),
                    body_bytes: 2
                },
                Function {
                    name: "g".to_owned(),
                    body_bytes: 3
                },
            ]
        );
        assert!(functions(&m[..m.len() - 1]).is_err());
    }
}
