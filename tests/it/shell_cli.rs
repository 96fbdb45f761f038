//! `msht completions` and `msht man`: the generated script loads in a real shell, the page
//! is valid roff that `man` renders, and both name the real subcommands.

use std::process::Command as Std;

use crate::common::{db, msht};

fn stdout_of(args: &[&str]) -> String {
    let (_d, p) = db();
    let out = msht(&p).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completion_loads_and_completes_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("msht.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    // Source it, then ask the completion function what follows `msht co`.
    let probe = format!(
        "source {} && COMP_WORDS=(msht co) && COMP_CWORD=1 && _msht msht co msht && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = Std::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(words.lines().any(|w| w == "config"), "{words}");
    assert!(words.lines().any(|w| w == "completions"), "{words}");
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let s = stdout_of(&["completions", shell]);
        assert!(
            s.contains("checklist") && s.contains("export"),
            "{shell}: {s}"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let (_d, p) = db();
    msht(&p).args(["completions", "tcsh"]).assert().code(64);
}

#[test]
fn man_page_is_roff_that_names_the_commands() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH msht 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "missing {section}");
    }
    assert!(page.contains("completions") && page.contains("guidance"));
    // Rendered by the real man when the machine has it.
    if Std::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("msht.1");
        std::fs::write(&file, &page).unwrap();
        let out = Std::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("SYNOPSIS"), "{text}");
        assert!(!text.contains(".SH"), "roff left unrendered: {text}");
    }
}
