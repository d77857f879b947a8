//! Test guests as WAT text: the smallest modules that exercise each corner of the ABI.

/// SDK style, both forms: the output is the input. `lode_alloc` hands out memory from
/// 64 KiB up, growing memory to fit.
pub const ECHO: &str = r#"
(module
  (import "lode" "output" (func $output (param i32 i32) (result i32)))
  (import "lode" "input_read" (func $input_read (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "lode_abi_version") (result i32) i32.const 1)
  (func (export "lode_alloc") (param $len i32) (result i32)
    (local $pages i32)
    (local.set $pages (i32.add (i32.shr_u (i32.add (local.get $len) (i32.const 65535)) (i32.const 16)) (i32.const 1)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
        (then (return (i32.const 0))))))
    (i32.const 65536))
  (func (export "lode_transform") (param $ptr i32) (param $len i32) (result i32)
    (if (i32.lt_s (call $output (local.get $ptr) (local.get $len)) (i32.const 0)) (then (return (i32.const 1))))
    (i32.const 0))
  (func (export "lode_transform_stream") (result i32)
    (local $n i32)
    (loop $next
      (local.set $n (call $input_read (i32.const 65536) (i32.const 65536)))
      (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 1))))
      (if (i32.gt_s (local.get $n) (i32.const 0)) (then
        (if (i32.lt_s (call $output (i32.const 65536) (local.get $n)) (i32.const 0)) (then (return (i32.const 1))))
        (br $next))))
    (i32.const 0)))
"#;

/// SDK style, whole form: the first input byte picks a misbehaviour (see the tests in
/// `hostile.rs`); anything else echoes. Inputs must stay under 63 KiB.
pub const HOSTILE: &str = r#"
(module
  (import "lode" "output" (func $output (param i32 i32) (result i32)))
  (import "lode" "fail" (func $fail (param i32 i32)))
  (import "lode" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "boom from guest")
  (data (i32.const 48) "panic: oh no")
  (data (i32.const 80) "hello log")
  (func (export "lode_abi_version") (result i32) i32.const 1)
  (func (export "lode_alloc") (param i32) (result i32) i32.const 1024)
  (func $recurse (param i64) (result i64)
    (i64.add (call $recurse (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
  (func (export "lode_transform") (param $ptr i32) (param $len i32) (result i32)
    (local $op i32)
    (local.set $op (i32.load8_u (local.get $ptr)))
    (if (i32.eq (local.get $op) (i32.const 76)) ;; L: spin forever
      (then (loop $spin (br $spin))))
    (if (i32.eq (local.get $op) (i32.const 77)) ;; M: grow until refused, then abort
      (then (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable))
    (if (i32.eq (local.get $op) (i32.const 83)) ;; S: unbounded recursion
      (then (drop (call $recurse (i64.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 70)) ;; F: fail with a message
      (then (call $fail (i32.const 16) (i32.const 15)) (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 80)) ;; P: a panic: message, then trap
      (then (call $fail (i32.const 48) (i32.const 12)) unreachable))
    (if (i32.eq (local.get $op) (i32.const 79)) ;; O: output until refused, then fail
      (then (loop $more (br_if $more (i32.ge_s (call $output (local.get $ptr) (local.get $len)) (i32.const 0))))
            (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 71)) ;; G: output until refused, then claim success
      (then (loop $more2 (br_if $more2 (i32.ge_s (call $output (local.get $ptr) (local.get $len)) (i32.const 0))))
            (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 68)) ;; D: one warn log line, then echo
      (then (call $log (i32.const 2) (i32.const 80) (i32.const 9))))
    (if (i32.eq (local.get $op) (i32.const 66)) ;; B: a bad pointer to output
      (then (return (call $output (i32.const -16) (i32.const 64)))))
    (drop (call $output (local.get $ptr) (local.get $len)))
    (i32.const 0)))
"#;

/// WASI command: copies stdin to stdout, then writes one line to stderr.
pub const CAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "cat: done\n")
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $len)))
      (i32.store (i32.const 32) (local.get $ptr))
      (i32.store (i32.const 36) (local.get $len))
      (if (call $fd_write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 48)) (then unreachable))
      (local.set $n (i32.load (i32.const 48)))
      (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
      (local.set $len (i32.sub (local.get $len) (local.get $n)))
      (br $more))))
  (func (export "_start")
    (local $n i32)
    (loop $again
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then unreachable))
      (local.set $n (i32.load (i32.const 16)))
      (if (local.get $n) (then (call $write_all (i32.const 1) (i32.const 1024) (local.get $n)) (br $again))))
    (call $write_all (i32.const 2) (i32.const 256) (i32.const 10))))
"#;

/// WASI command: reads all of stdin (up to 2 MiB) into memory, then writes it back to stdout
/// in one `fd_write` (the shape of Rust's `read_to_end` then `write_all`).
pub const SLURP: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 40)
  (func (export "_start")
    (local $n i32) (local $total i32) (local $ptr i32) (local $len i32)
    (loop $again
      (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
      (i32.store (i32.const 4) (i32.sub (i32.const 2097152) (local.get $total)))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then unreachable))
      (local.set $n (i32.load (i32.const 16)))
      (local.set $total (i32.add (local.get $total) (local.get $n)))
      (br_if $again (local.get $n)))
    (local.set $ptr (i32.const 1024))
    (local.set $len (local.get $total))
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $len)))
      (i32.store (i32.const 32) (local.get $ptr))
      (i32.store (i32.const 36) (local.get $len))
      (if (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)) (then unreachable))
      (local.set $n (i32.load (i32.const 48)))
      (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
      (local.set $len (i32.sub (local.get $len) (local.get $n)))
      (br $more)))))
"#;

/// WASI command: exits with code 3.
pub const EXIT_3: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3))))
"#;

/// WASI command: spins forever.
pub const SPIN_COMMAND: &str = r#"
(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))
"#;

/// [`ECHO`] with `lode_abi_version` returning `version`.
pub fn echo_with_abi(version: i32) -> String {
    ECHO.replace(
        "(result i32) i32.const 1)",
        &format!("(result i32) i32.const {version})"),
    )
}
