/**
 * `bun run admin`, driven as an operator would: as a subprocess, with the
 * server stopped (the CLI opens the data itself) and running (on the embedded
 * defaults the command goes through the server's control socket; with
 * DATABASE_URL the CLI reaches Postgres directly).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, startServer, type TestServer } from "./helpers/server.ts";

// Each CLI run opens the embedded database (a few seconds); bunfig's [test] timeout is not applied by this Bun.
setDefaultTimeout(60_000);

const ROOT = join(import.meta.dir, "..");
const ADMIN = join(ROOT, "src/cli/admin.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(script: string, argv: string[], env: Record<string, string>): Promise<Run> {
  const proc = Bun.spawn(["bun", "run", script, ...argv], { env, cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

const admin = (env: Record<string, string>, ...argv: string[]) => run(ADMIN, argv, env);

function baseEnv(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATA_DIR: dataDir, LOG_LEVEL: "warning" };
}

function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "fedisky-admin-"));
}

test("--help lists the commands", async () => {
  const result = await admin({ PATH: process.env.PATH ?? "" }, "--help");
  expect(result.code).toBe(0);
  for (const command of ["accounts create", "accounts approve", "accounts list", "accounts set-password", "db migrate"]) {
    expect(result.stdout).toContain(command);
  }
});

test("an unknown command prints the help and exits 2", async () => {
  const result = await admin({ PATH: process.env.PATH ?? "" }, "frobnicate");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('Unknown command "frobnicate"');
  expect(result.stderr).toContain("accounts create");
});

test("a missing argument names it and exits 2", async () => {
  const result = await admin({ PATH: process.env.PATH ?? "" }, "accounts", "create", "nobody");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--email");
});

test("an account created while no server runs is served once the server starts", async () => {
  const dataDir = tempDataDir();
  const env = { ...baseEnv(dataDir), ...(await backendEnv()) };
  let server: TestServer | null = null;
  try {
    const created = await admin(env, "accounts", "create", "alice", "--email", "alice@example.com", "--password", "correct horse", "--display-name", "Alice");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^id: \d+$/m);
    expect(created.stdout).not.toContain("password:");

    server = await startServer({ env });
    const host = new URL(server.url).hostname;
    const response = await fetch(`${server.url}/.well-known/webfinger?resource=acct:alice@${host}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { subject: string }).subject).toBe(`acct:alice@${host}`);

    const listed = await admin(server.env, "accounts", "list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^\d+\s+alice\s+alice@example\.com\s+user\s+active\s/m);
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a stale control socket left by a crashed server does not stop the CLI", async () => {
  const dataDir = tempDataDir();
  const socket = join(dataDir, "control.sock");
  try {
    // A process killed with SIGKILL leaves its socket file behind with nobody listening.
    const holder = Bun.spawn(["bun", "-e", `Bun.serve({ unix: ${JSON.stringify(socket)}, fetch: () => new Response() }); console.log("up")`], {
      stdout: "pipe",
    });
    for await (const _ of holder.stdout) break;
    holder.kill("SIGKILL");
    await holder.exited;
    expect(existsSync(socket)).toBe(true);

    const result = await admin({ ...baseEnv(dataDir), ...(await backendEnv()) }, "accounts", "list");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No local accounts yet.");
    expect(existsSync(socket)).toBe(false);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe("while the server runs", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  test("holding embedded state, it serves a control socket only its user can use", () => {
    // Tests never set CLICKHOUSE_URL, so even on Postgres + Redis the server owns chDB in DATA_DIR.
    expect(statSync(join(server.dataDir, "control.sock")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(server.dataDir, "server.json"))).toBe(true);
  });

  test("accounts create adds an account the server lists", async () => {
    const created = await admin(server.env, "accounts", "create", "bob", "--email", "bob@example.com", "--role", "moderator");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^id: \d+$/m);
    // No --password: one was generated and shown once.
    expect(created.stdout).toMatch(/^password: \S{16,}$/m);

    const host = new URL(server.url).hostname;
    const response = await fetch(`${server.url}/.well-known/webfinger?resource=acct:bob@${host}`);
    expect(response.status).toBe(200);

    const listed = await admin(server.env, "accounts", "list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+USERNAME\s+EMAIL\s+ROLE\s+STATUS\s+CREATED$/m);
    expect(listed.stdout).toMatch(/^\d+\s+bob\s+bob@example\.com\s+moderator\s+active\s/m);
  });

  test("a taken username fails with a message and a non-zero exit", async () => {
    await admin(server.env, "accounts", "create", "carol", "--email", "carol@example.com", "--password", "password1");
    const again = await admin(server.env, "accounts", "create", "Carol", "--email", "carol2@example.com", "--password", "password1");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Username is already taken");
    expect(again.stdout).toBe("");
  });

  test("reserved names are allowed to the admin, and roles are checked", async () => {
    const admin1 = await admin(server.env, "accounts", "create", "admin", "--email", "root@example.com", "--password", "password1", "--role", "owner");
    expect(admin1.code).toBe(0);
    const bad = await admin(server.env, "accounts", "create", "dave", "--email", "dave@example.com", "--role", "king");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--role must be one of");
  });

  test("accounts set-password and approve act on existing accounts only", async () => {
    await admin(server.env, "accounts", "create", "erin", "--email", "erin@example.com", "--password", "password1");
    const changed = await admin(server.env, "accounts", "set-password", "@erin", "--password", "another password");
    expect(changed.code).toBe(0);
    const short = await admin(server.env, "accounts", "set-password", "erin", "--password", "short");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("too short");
    const approved = await admin(server.env, "accounts", "approve", "erin");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("already approved");
    const missing = await admin(server.env, "accounts", "approve", "nobody");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no local account named "nobody"');
  });

  test("db migrate reports nothing pending", async () => {
    const result = await admin(server.env, "db", "migrate");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no pending migrations");
  });
});

test("db migrate applies every migration to a fresh database, with a progress line each", async () => {
  const dataDir = tempDataDir();
  try {
    const result = await admin({ ...baseEnv(dataDir), ...(await backendEnv()) }, "db", "migrate");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Applied \d+ migrations?: 0001_foundation/m);
    expect(result.stderr).toMatch(/^\[0\/\d+\] applying 0001_foundation$/m);
    expect(result.stderr).toMatch(/^\[(\d+)\/\1\] done$/m);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a bad configuration stops the server and the CLI with the variable's name", async () => {
  const dataDir = tempDataDir();
  try {
    const env = { ...baseEnv(dataDir), PORT: "abc" };
    const server = await run(join(ROOT, "src/main.ts"), [], env);
    expect(server.code).not.toBe(0);
    expect(server.stderr).toContain("PORT");
    const cli = await admin(env, "accounts", "list");
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain("PORT");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
