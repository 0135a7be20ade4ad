//! A run's directory: one run at a time (the lock names the holder), a
//! file where the directory should be is refused with its path, and the
//! manifest, written last, vouches only for a consistent set of files.

mod common;

use backprop_train::{LOCK_FILE, MANIFEST_FILE, Manifest, RunDir, RunDirError, file_checksum};
use common::temp_dir;
use std::path::Path;

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// A finished run in `dir`: three files and a manifest.
fn finished_run(dir: &Path) -> Manifest {
    let run = RunDir::open(dir).unwrap();
    write(&dir.join("history.csv"), b"epoch,train_loss\n1,0.5\n");
    write(&dir.join("model.safetensors"), b"old model");
    write(
        &dir.join("checkpoints/epoch-1.safetensors"),
        b"old checkpoint",
    );
    run.commit([
        "history.csv",
        "model.safetensors",
        "checkpoints/epoch-1.safetensors",
    ])
    .unwrap()
}

#[test]
fn a_second_run_on_the_same_directory_is_refused_naming_the_first() {
    let dir = temp_dir("run-dir-lock").join("out");
    let first = RunDir::open(&dir).unwrap();
    assert_eq!(first.holder().pid, std::process::id());
    let err = RunDir::open(&dir).unwrap_err();
    let RunDirError::Locked { holder, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(holder.as_ref(), Some(first.holder()));
    assert_eq!(
        err.to_string(),
        format!(
            "{} is in use by another run (pid {}, started {}): wait for it to finish, or give another directory",
            dir.display(),
            std::process::id(),
            first.holder().started
        )
    );
    // The lock file says who holds it.
    let text = std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap();
    assert!(
        text.contains(&format!("\"pid\":{}", std::process::id())),
        "{text}"
    );
    // Released with the run.
    drop(first);
    let again = RunDir::open(&dir).unwrap();
    drop(again);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_file_where_the_directory_should_be_is_refused_with_its_path() {
    let base = temp_dir("run-dir-file");
    let file = base.join("out");
    write(&file, b"not a directory");
    let err = RunDir::open(&file).unwrap_err();
    assert!(matches!(err, RunDirError::NotADirectory { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} exists and is not a directory: give a directory for the run's files",
            file.display()
        )
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn the_manifest_names_each_file_with_its_size_and_checksum() {
    let dir = temp_dir("run-dir-manifest");
    let manifest = finished_run(&dir);
    assert_eq!(RunDir::verify(&dir).unwrap(), manifest);
    let paths: Vec<&str> = manifest.files.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "history.csv",
            "model.safetensors",
            "checkpoints/epoch-1.safetensors"
        ]
    );
    let model = manifest.get("model.safetensors").unwrap();
    let (bytes, checksum) = file_checksum(dir.join("model.safetensors")).unwrap();
    assert_eq!((model.bytes, &model.checksum), (9, &checksum));
    assert_eq!(bytes, 9);
    // The manifest is JSON a person can read.
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
    assert!(text.contains("\"format\": \"backprop.run\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_run_leaves_no_manifest_vouching_for_mixed_files() {
    let dir = temp_dir("run-dir-killed");
    finished_run(&dir);
    // The next run takes the directory, writes one file, and is killed
    // before the others: the old manifest is already gone.
    let next = RunDir::open(&dir).unwrap();
    assert!(!dir.join(MANIFEST_FILE).exists());
    write(
        &dir.join("history.csv"),
        b"epoch,train_loss\n1,0.25\n2,0.125\n",
    );
    drop(next);
    let err = RunDir::verify(&dir).unwrap_err();
    assert!(matches!(err, RunDirError::NoManifest { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} has no manifest.json: its run is still going, was killed before it finished, or wrote no manifest; its files are not known to belong together",
            dir.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_refuses_files_that_disagree_with_the_manifest() {
    let dir = temp_dir("run-dir-verify");
    finished_run(&dir);
    let model = dir.join("model.safetensors");

    // Another size.
    write(&model, b"a new model, longer");
    let err = RunDir::verify(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: 19 bytes, 9 listed, unlike the run's manifest.json: the directory's files do not belong together (another run wrote over them, or they were edited); rerun, or restore the file",
            model.display()
        )
    );

    // The same size, one byte changed.
    write(&model, b"old modeL");
    let err = RunDir::verify(&dir).unwrap_err();
    let RunDirError::Mismatch { file, reason } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(file, &model);
    assert!(reason.starts_with("checksum crc32:"), "{reason}");

    // Missing.
    std::fs::remove_file(&model).unwrap();
    let err = RunDir::verify(&dir).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: missing,", model.display())),
        "{err}"
    );
    write(&model, b"old model");
    RunDir::verify(&dir).unwrap();

    // A manifest that is not one, or names a file outside the directory.
    let manifest = dir.join(MANIFEST_FILE);
    let good = std::fs::read_to_string(&manifest).unwrap();
    for (text, says) in [
        ("{}".to_string(), "missing field"),
        (good.replace("backprop.run", "other"), "format \"other\""),
        (
            good.replace("\"history.csv\"", "\"../history.csv\""),
            "not a path inside",
        ),
        (good.replace("crc32:", "md5:"), "not crc32"),
    ] {
        write(&manifest, text.as_bytes());
        let err = RunDir::verify(&dir).unwrap_err();
        assert!(matches!(err, RunDirError::BadManifest { .. }), "{err:?}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn commit_refuses_a_path_outside_the_directory() {
    let dir = temp_dir("run-dir-outside");
    let run = RunDir::open(&dir).unwrap();
    let err = run.commit(["../elsewhere.txt"]).unwrap_err();
    assert!(matches!(err, RunDirError::Outside { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "../elsewhere.txt: not a path inside the run's directory {}: the manifest lists the run's own files, by paths relative to it",
            dir.display()
        )
    );
    let err = run.commit(["absent.txt"]).unwrap_err();
    assert!(matches!(err, RunDirError::Io { .. }), "{err:?}");
    assert!(!dir.join(MANIFEST_FILE).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
