import { toolVersion } from './version.js';

/** Each command's own help: what `qcs-export <command> --help` prints. */
export const COMMAND_HELP: Record<string, string> = {
  run: `Usage: qcs-export run [--config FILE] [-c FILE …] [--quiet] [--log-level LEVEL] [--log-format text|json] [--json]
                      [--state FILE] [--full-refresh] [--no-state-update] [--manifest FILE] [--compare-to FILE]
                      [--dry-run]

Runs the export the config describes: the Qualys source to every sink. Progress, log lines and the summary go
to stderr; stdout stays free for data ("-"). No previous output is replaced unless every sink finished.

Options:
  -c, --config FILE     the YAML config (relative paths in it resolve against the current directory); give it
                        several times to run several configs in turn (exit code: the worst of them);
                        default: $QCS_EXPORT_CONFIG, else ./qcs-export.yaml (or .yml)
  --state FILE          incremental runs: read only what changed since the run that wrote FILE (overrides
                        run.state); FILE is written again after every sink committed
  --full-refresh        read everything whatever the state says, and write a new state
  --no-state-update     leave the state as it is, even after a successful run
  --manifest FILE       write the audit manifest here (overrides run.manifest): config without secrets and
                        its hash, requests, counts, and the size and SHA-256 of every file written
  --compare-to FILE     compare with the run whose manifest is FILE (overrides run.compareTo): findings get
                        change new or open, the ones gone are written as fixed, the images gone are listed
  -q, --quiet           errors only: no progress, no summary, no warnings (for cron and CI)
  --log-level LEVEL     debug | info | warn | error (default: the config's run.logLevel, info);
                        debug shows every API request: method, path, status, duration
  --log-format FORMAT   text (default; timestamped when stderr is not a terminal) | json (one object per
                        line with @timestamp, log.level, message, for log shippers)
  --json                print the outcome as JSON on stdout: the summary with "exitCode", or on failure
                        {"exitCode", "error": {"code", "message"}}
  --dry-run             check the config as validate does and print the run's plan (with --json, as JSON):
                        source, filter, strategy, each sink's records and resolved output, state, manifest;
                        nothing is read from Qualys and nothing is written
  -h, --help            this help`,
  validate: `Usage: qcs-export validate [--config FILE] [--connect] [--json]

Checks the config and the environment it names: YAML, every key and value, \${VAR}s and secret files, the URL
policy, that no two sinks write one output, that every output path could be created, and that each
Elasticsearch sink's cluster answers. Writes nothing.

Options:
  -c, --config FILE     the YAML config (default: $QCS_EXPORT_CONFIG, else ./qcs-export.yaml or .yml)
  --connect             also log in to Qualys and count the filter's images (one call); a refused login exits 4
  --json                print the run's plan as JSON on stdout: the Qualys base URL, the filter, the
                        strategy, each sink's type, records and resolved output (absolute path, or index and
                        nodes), the state and manifest paths; on failure {"exitCode", "error": {"code", "message"}}
  -h, --help            this help`,
  doctor: `Usage: qcs-export doctor [--config FILE] [--json]

A read-only check of the Qualys subscription in the config (about 15 API calls, never more than 30): login and
CS permission, the rate-limit headers, every query form the strategies use, what the server does past the
10,000 cap, the bulk Link header as sent, the 401 body of an invalid token, and the strategy auto would choose.
Exit 0 when the filter can be exported completely, 1 when no strategy can guarantee it, 4 on auth problems.

Options:
  -c, --config FILE     the YAML config (default: $QCS_EXPORT_CONFIG, else ./qcs-export.yaml or .yml)
  --json                a machine-readable report (holds no secret; attach it to a bug report)
  -q, --quiet           errors only
  --log-level LEVEL     debug | info | warn | error (default: warn)
  --log-format FORMAT   text | json
  -h, --help            this help`,
  simulate: `Usage: qcs-export simulate [--port N] [--images N] [--seed N] [--latency MS]

Serves the Qualys simulator on 127.0.0.1, to try configs or curl against. Its dates are relative to today, so
filters such as imagesInUse:'[now-30d ... now]' match. Ctrl-C stops it.

Options:
  --port N              port (default 8089; 0 picks a free one)
  --images N            images in the data set (default 2000)
  --seed N              seed of the data set (default 1)
  --latency MS          latency added to every API call (default 0)
  -h, --help            this help`,
  schema: `Usage: qcs-export schema

Prints a JSON Schema of the config, for editor completion (yaml-language-server).`,
  completion: `Usage: qcs-export completion bash|zsh|fish

Prints the shell completion script: the commands, their options, the log levels and formats, and file names where
an option takes a file (for the config, only *.yaml and *.yml). Print it again after an upgrade.

  bash   source <(qcs-export completion bash)                      (a line in ~/.bashrc), or once:
         qcs-export completion bash > ~/.local/share/bash-completion/completions/qcs-export
  zsh    qcs-export completion zsh > ~/.zfunc/_qcs-export           (any directory on $fpath: here ~/.zfunc,
                                                                   with fpath=(~/.zfunc $fpath) before compinit),
         or source <(qcs-export completion zsh)                     (a line in ~/.zshrc, after compinit)
  fish   qcs-export completion fish > ~/.config/fish/completions/qcs-export.fish`,
};

export const USAGE = `qcs-export ${toolVersion}: export the Qualys Container Security image inventory

Usage:
  qcs-export run -c FILE [-q] [--log-format json] [--json] [--dry-run]
                                                          run the export
  qcs-export validate -c FILE [--connect] [--json]        check the config and its environment; writes nothing
  qcs-export doctor -c FILE [--json]                      read-only check of the subscription: query forms,
                                                          rate-limit headers, the strategy auto would choose
  qcs-export simulate [--port N] [--images N] [--seed N] [--latency MS]
                                                          serve the Qualys simulator on 127.0.0.1
  qcs-export schema                                       print the config's JSON Schema
  qcs-export completion bash|zsh|fish                     print the shell completion script
  qcs-export COMMAND --help, qcs-export help COMMAND      a command's own help
  qcs-export --help | --version (-V)

-c is short for --config. Without it: the file $QCS_EXPORT_CONFIG names, else ./qcs-export.yaml (or .yml).
Exit codes: 0 ok · 1 export failed · 2 invalid config or usage · 3 records rejected by a sink ·
            4 authentication failed · 5 nothing matched (run.failOnEmpty) · 130 interrupted (SIGINT) ·
            143 terminated (SIGTERM)`;
