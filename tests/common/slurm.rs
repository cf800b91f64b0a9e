//! A one-machine Slurm cluster for the tests (SPEC R35): `munged` with its
//! own key and socket, `slurmctld` and `slurmd` with a generated
//! `slurm.conf` naming this host, on free ports, with every state, spool
//! and log file in a temp dir.
//!
//! [`Cluster::start`] brings it up; dropping the [`Cluster`] cancels its
//! jobs and stops its daemons — also when a test panics, since the guard is
//! dropped while unwinding. A test process killed outright cannot drop it:
//! each cluster records its daemons' pids in a file under
//! [`REGISTRY`], and the next start stops the daemons of clusters whose test
//! process is gone. Start one cluster per test process (one `#[test]` that
//! runs its scenarios against it), since `cargo test` runs every test of the
//! binary in one process while nextest runs each in its own.
//!
//! The daemons need root (slurmd starts jobs as their user) and the Debian
//! packages `slurm-wlm` and `munge` (`.ci/run` installs them). Where either
//! is missing, [`Cluster::start`] says why: the test fails when `CI=true`
//! and skips, saying so, elsewhere.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where clusters record their daemons' pids.
pub const REGISTRY: &str = "/tmp/flowtoy-test-slurm-clusters";

/// How long the daemons may take to come up on a loaded machine.
const START_DEADLINE: Duration = Duration::from_secs(90);

/// CPUs the node declares: more than the machine has, so 50 one-CPU jobs
/// run at once (the jobs of the tests mostly sleep).
const NODE_CPUS: u32 = 64;

/// A running test cluster; dropped, it stops.
pub struct Cluster {
    dir: tempfile::TempDir,
    daemons: Vec<(&'static str, Child)>,
    conf: PathBuf,
}

/// Why there is no cluster: a failure in CI, a skip elsewhere.
pub fn unavailable(test: &str, why: &str) {
    let message = format!("{test}: no Slurm test cluster: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message} (CI=true: this is a failure)");
    }
    eprintln!("SKIPPED {message}");
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn short_hostname() -> Result<String, String> {
    let out = Command::new("hostname")
        .arg("-s")
        .output()
        .map_err(|e| format!("hostname: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .args([
            "-c",
            &format!("command -v {program} || test -x /usr/sbin/{program}"),
        ])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn slurm_conf(dir: &Path, host: &str, ctld_port: u16, slurmd_port: u16) -> String {
    let d = dir.display();
    format!(
        "ClusterName=flowtoytest\n\
         SlurmctldHost={host}(127.0.0.1)\n\
         SlurmctldPort={ctld_port}\n\
         SlurmdPort={slurmd_port}\n\
         SlurmUser=root\n\
         SlurmdUser=root\n\
         AuthType=auth/munge\n\
         CredType=cred/munge\n\
         AuthInfo=socket={d}/munge/munge.socket\n\
         StateSaveLocation={d}/state\n\
         SlurmdSpoolDir={d}/spool\n\
         SlurmctldPidFile={d}/slurmctld.pid\n\
         SlurmdPidFile={d}/slurmd.pid\n\
         SlurmctldLogFile={d}/log/slurmctld.log\n\
         SlurmdLogFile={d}/log/slurmd.log\n\
         ProctrackType=proctrack/linuxproc\n\
         TaskPlugin=task/none\n\
         SelectType=select/cons_tres\n\
         SelectTypeParameters=CR_CPU\n\
         SlurmdParameters=config_overrides\n\
         SchedulerType=sched/backfill\n\
         MpiDefault=none\n\
         ReturnToService=2\n\
         KillWait=2\n\
         InactiveLimit=0\n\
         MinJobAge=300\n\
         JobAcctGatherType=jobacct_gather/none\n\
         AccountingStorageType=accounting_storage/none\n\
         JobCompType=jobcomp/none\n\
         NodeName={host} NodeAddr=127.0.0.1 CPUs={NODE_CPUS} RealMemory=4000 State=UNKNOWN\n\
         PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP\n"
    )
}

impl Cluster {
    /// Starts a cluster, or says why it cannot.
    pub fn start() -> Result<Cluster, String> {
        for program in [
            "munged",
            "slurmctld",
            "slurmd",
            "sbatch",
            "squeue",
            "scancel",
        ] {
            if !which(program) {
                return Err(format!(
                    "`{program}` is not installed (apt-get install slurm-wlm munge)"
                ));
            }
        }
        // SAFETY: geteuid only reads the process's user id.
        if unsafe { libc::geteuid() } != 0 {
            return Err("the test cluster's slurmd must run as root".into());
        }
        sweep_abandoned();
        let dir = tempfile::Builder::new()
            .prefix("flowtoy-slurm-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = dir.path().to_path_buf();
        for sub in ["munge", "state", "spool", "log"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| e.to_string())?;
        }
        use std::os::unix::fs::PermissionsExt;
        let perms =
            |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        perms(&root.join("munge"), 0o700).map_err(|e| e.to_string())?;
        let key = random_key()?;
        std::fs::write(root.join("munge/munge.key"), key).map_err(|e| e.to_string())?;
        perms(&root.join("munge/munge.key"), 0o600).map_err(|e| e.to_string())?;
        let host = short_hostname()?;
        let conf = root.join("slurm.conf");
        std::fs::write(&conf, slurm_conf(&root, &host, free_port()?, free_port()?))
            .map_err(|e| e.to_string())?;
        let mut cluster = Cluster {
            dir,
            daemons: Vec::new(),
            conf,
        };
        let log = |name: &str| -> Result<Stdio, String> {
            std::fs::File::create(root.join("log").join(format!("{name}.out")))
                .map(Stdio::from)
                .map_err(|e| e.to_string())
        };
        let munged = Command::new("munged")
            .arg("--foreground")
            .arg("--force")
            .arg(format!(
                "--key-file={}",
                root.join("munge/munge.key").display()
            ))
            .arg(format!(
                "--socket={}",
                root.join("munge/munge.socket").display()
            ))
            .arg(format!(
                "--pid-file={}",
                root.join("munge/munged.pid").display()
            ))
            .arg(format!(
                "--log-file={}",
                root.join("log/munged.log").display()
            ))
            .arg(format!("--seed-file={}", root.join("munge/seed").display()))
            .stdout(log("munged")?)
            .stderr(log("munged-err")?)
            .spawn()
            .map_err(|e| format!("cannot start munged: {e}"))?;
        cluster.daemons.push(("munged", munged));
        cluster.record();
        cluster.wait_for("munged's socket", || {
            root.join("munge/munge.socket").exists()
        })?;
        let ctld = Command::new("slurmctld")
            .args(["-D", "-i", "-f"])
            .arg(&cluster.conf)
            .env("SLURM_CONF", &cluster.conf)
            .stdout(log("slurmctld")?)
            .stderr(log("slurmctld-err")?)
            .spawn()
            .map_err(|e| format!("cannot start slurmctld: {e}"))?;
        cluster.daemons.push(("slurmctld", ctld));
        cluster.record();
        cluster.wait_for("slurmctld", || {
            cluster
                .command("scontrol")
                .arg("ping")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is UP"))
        })?;
        let slurmd = Command::new("slurmd")
            .args(["-D", "-f"])
            .arg(&cluster.conf)
            .env("SLURM_CONF", &cluster.conf)
            .stdout(log("slurmd")?)
            .stderr(log("slurmd-err")?)
            .spawn()
            .map_err(|e| format!("cannot start slurmd: {e}"))?;
        cluster.daemons.push(("slurmd", slurmd));
        cluster.record();
        cluster.wait_for("the node to be idle", || {
            cluster
                .command("sinfo")
                .args(["-h", "-o", "%T"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        })?;
        Ok(cluster)
    }

    /// The cluster's `slurm.conf` (set `SLURM_CONF` to it for flowtoy).
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// A Slurm command (`squeue`, `scancel`, ...) talking to this cluster.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// `squeue --noheader --format=FORMAT` (pending and running jobs only),
    /// one line per job.
    pub fn squeue(&self, format: &str) -> Vec<String> {
        let out = self
            .command("squeue")
            .args(["--noheader", &format!("--format={format}")])
            .output()
            .expect("run squeue");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Waits until `ready` holds, or says what did not come up (with the
    /// daemons' logs).
    fn wait_for(&self, what: &str, mut ready: impl FnMut() -> bool) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < START_DEADLINE {
            if ready() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let logs: String = [
            "munged.log",
            "slurmctld.log",
            "slurmd.log",
            "slurmctld-err.out",
            "slurmd-err.out",
        ]
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(self.dir.path().join("log").join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            format!(
                "--- {f}\n{}\n",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect();
        Err(format!("waited {START_DEADLINE:?} for {what}\n{logs}"))
    }

    /// Records the daemons' pids for [`sweep_abandoned`].
    fn record(&self) {
        let _ = std::fs::create_dir_all(REGISTRY);
        let pids: Vec<String> = self
            .daemons
            .iter()
            .map(|(_, c)| c.id().to_string())
            .collect();
        let _ = std::fs::write(self.registry_file(), pids.join("\n"));
    }

    fn registry_file(&self) -> PathBuf {
        Path::new(REGISTRY).join(std::process::id().to_string())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Jobs first, so no job outlives its cluster.
        let _ = self
            .command("scancel")
            .args(["--full", "--user=root"])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) && !self.squeue("%i").is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
        for (_, child) in self.daemons.iter_mut().rev() {
            // SAFETY: kill only sends a signal to our own child.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
        }
        for (name, child) in self.daemons.iter_mut().rev() {
            let start = Instant::now();
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if start.elapsed() > Duration::from_secs(10) {
                    eprintln!("{name} did not stop on SIGTERM: killing it");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_file(self.registry_file());
    }
}

/// 1,024 random bytes from the kernel: the munge key.
fn random_key() -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut key = vec![0u8; 1024];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| format!("no random bytes for the munge key: {e}"))?;
    Ok(key)
}

/// Stops the daemons of clusters whose test process is gone (killed before
/// it could drop its [`Cluster`]).
fn sweep_abandoned() {
    let Ok(entries) = std::fs::read_dir(REGISTRY) else {
        return;
    };
    for entry in entries.flatten() {
        let owner: i32 = entry.file_name().to_string_lossy().parse().unwrap_or(0);
        if owner <= 0 || super::process_alive(owner) {
            continue;
        }
        let pids = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for pid in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if ["munged", "slurmctld", "slurmd"].contains(&comm.trim()) {
                eprintln!(
                    "stopping {} (pid {pid}) of an abandoned test cluster",
                    comm.trim()
                );
                // SAFETY: kill only sends a signal; the pid was checked to be a Slurm daemon.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
}
