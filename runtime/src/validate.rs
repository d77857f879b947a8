//! Load-time checks of a compiled module against the ABI: its imports, and which style its
//! exports make it.

use std::collections::HashSet;

use lode_host_abi::{export, import, IMPORT_MODULE, WASI_MODULE};
use wasmtime::{ExternType, FuncType, ValType};

use crate::error::LoadError;

/// Which kind of transform a module is (`lode_host_abi` describes both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleStyle {
    /// SDK style: long-lived instances called once per object.
    Sdk {
        /// Exports `lode_transform` (whole-object form).
        whole: bool,
        /// Exports `lode_transform_stream` (streaming form).
        streaming: bool,
    },
    /// WASI command: `_start` runs once per object in a fresh instance, stdin to stdout.
    Command,
}

/// What the checks found: the style, and whether a reactor `_initialize` must run first.
pub(crate) struct Shape {
    pub(crate) style: ModuleStyle,
    pub(crate) initialize: bool,
}

/// Checks every import is one lode links.
pub(crate) fn imports(
    module: &wasmtime::Module,
    wasi_names: &HashSet<String>,
) -> Result<(), LoadError> {
    for imp in module.imports() {
        let known = match imp.module() {
            IMPORT_MODULE => import::ALL.contains(&imp.name()),
            WASI_MODULE => wasi_names.contains(imp.name()),
            _ => false,
        };
        if !known {
            return Err(LoadError::ForbiddenImport {
                module: imp.module().into(),
                name: imp.name().into(),
            });
        }
        if !matches!(imp.ty(), ExternType::Func(_)) {
            return Err(LoadError::Signature(format!(
                "import `{}::{}` must be a function",
                imp.module(),
                imp.name()
            )));
        }
    }
    Ok(())
}

/// Decides the module's style from its exports and checks their signatures.
pub(crate) fn exports(module: &wasmtime::Module) -> Result<Shape, LoadError> {
    let has = |name: &str| module.get_export(name).is_some();
    let sdk_names = [
        export::ABI_VERSION,
        export::ALLOC,
        export::TRANSFORM,
        export::TRANSFORM_STREAM,
    ];
    let initialize = has(export::INITIALIZE);
    if initialize {
        expect_func(module, export::INITIALIZE, "() -> ()")?;
    }
    if sdk_names.iter().any(|n| has(n)) {
        let missing: Vec<&str> = [export::ABI_VERSION, export::ALLOC, export::MEMORY]
            .into_iter()
            .filter(|n| !has(n))
            .collect();
        let whole = has(export::TRANSFORM);
        let streaming = has(export::TRANSFORM_STREAM);
        if !missing.is_empty() || !(whole || streaming) {
            let mut what = missing.join("`, `");
            if !(whole || streaming) {
                what = [what, "lode_transform` or `lode_transform_stream".into()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("`, `");
            }
            return Err(LoadError::NotATransform(format!(
                "; it has some SDK exports but lacks `{what}`"
            )));
        }
        expect_func(module, export::ABI_VERSION, "() -> i32")?;
        expect_func(module, export::ALLOC, "(i32) -> i32")?;
        if whole {
            expect_func(module, export::TRANSFORM, "(i32, i32) -> i32")?;
        }
        if streaming {
            expect_func(module, export::TRANSFORM_STREAM, "() -> i32")?;
        }
        expect_memory32(module)?;
        return Ok(Shape {
            style: ModuleStyle::Sdk { whole, streaming },
            initialize,
        });
    }
    if has(export::START) {
        expect_func(module, export::START, "() -> ()")?;
        return Ok(Shape {
            style: ModuleStyle::Command,
            initialize: false,
        });
    }
    Err(LoadError::NotATransform(String::new()))
}

fn expect_func(module: &wasmtime::Module, name: &str, want: &str) -> Result<(), LoadError> {
    let found = match module.get_export(name) {
        Some(ExternType::Func(f)) => signature(&f),
        Some(other) => format!("a non-function ({other:?})"),
        None => "nothing".into(),
    };
    if found == want {
        return Ok(());
    }
    Err(LoadError::Signature(format!(
        "export `{name}` is {found}; the lode ABI wants {want}"
    )))
}

fn expect_memory32(module: &wasmtime::Module) -> Result<(), LoadError> {
    match module.get_export(export::MEMORY) {
        Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => Ok(()),
        _ => Err(LoadError::Signature(
            "export `memory` must be a 32-bit, unshared linear memory".into(),
        )),
    }
}

/// A function type written as `(i32, i32) -> i32`.
fn signature(f: &FuncType) -> String {
    let list = |types: &mut dyn Iterator<Item = ValType>| {
        types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
    };
    let params = list(&mut f.params());
    let results: Vec<String> = f.results().map(|t| t.to_string()).collect();
    match results.len() {
        0 => format!("({params}) -> ()"),
        1 => format!("({params}) -> {}", results[0]),
        _ => format!("({params}) -> ({})", results.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> wasmtime::Module {
        wasmtime::Module::new(&wasmtime::Engine::default(), wat).unwrap()
    }

    #[test]
    fn styles_come_from_exports() {
        let sdk = module(
            r#"(module (memory (export "memory") 1)
                 (func (export "lode_abi_version") (result i32) i32.const 1)
                 (func (export "lode_alloc") (param i32) (result i32) i32.const 0)
                 (func (export "lode_transform_stream") (result i32) i32.const 0))"#,
        );
        let shape = exports(&sdk).unwrap();
        assert_eq!(
            shape.style,
            ModuleStyle::Sdk {
                whole: false,
                streaming: true
            }
        );
        let cmd = module(r#"(module (func (export "_start")))"#);
        assert_eq!(exports(&cmd).unwrap().style, ModuleStyle::Command);
        assert!(matches!(
            exports(&module("(module)")),
            Err(LoadError::NotATransform(_))
        ));
    }

    #[test]
    fn partial_sdk_exports_name_what_is_missing() {
        let m = module(
            r#"(module (func (export "lode_transform") (param i32 i32) (result i32) i32.const 0))"#,
        );
        let err = exports(&m).err().unwrap().to_string();
        assert!(
            err.contains("lode_abi_version") && err.contains("lode_alloc"),
            "{err}"
        );
    }

    #[test]
    fn wrong_signatures_are_named() {
        let m = module(
            r#"(module (memory (export "memory") 1)
                 (func (export "lode_abi_version") (result i64) i64.const 1)
                 (func (export "lode_alloc") (param i32) (result i32) i32.const 0)
                 (func (export "lode_transform") (param i32 i32) (result i32) i32.const 0))"#,
        );
        let err = exports(&m).err().unwrap().to_string();
        assert_eq!(
            err,
            "export `lode_abi_version` is () -> i64; the lode ABI wants () -> i32"
        );
    }
}
