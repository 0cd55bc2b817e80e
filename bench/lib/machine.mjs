// What /proc and the OS say about the machine and our processes: CPU time per process, the cores
// other processes use during a metric, the load average, and the machine description of a result.

import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const TICKS = 100 // USER_HZ on Linux

function procTimes(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  } catch {
    return 0
  }
}

function machineTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  return { busy: user + nice + system + irq + softirq + (steal ?? 0), steal: steal ?? 0 }
}

/** CPU time (user + system) a live process has used so far, in ms (null when it is gone). */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS
  } catch {
    return null
  }
}

/**
 * Measures how much CPU *other* processes used during a window: machine busy time minus the CPU
 * time of the benchmark's own processes (this process and its reaped children, the emulator, the
 * relay), in cores (1.0 = one core fully busy).
 */
export function startForeignMeter(pids) {
  const own = () => pids().reduce((sum, pid) => sum + procTimes(pid), procTimes(process.pid))
  const start = { t: performance.now(), m: machineTimes(), own: own() }
  return () => {
    const end = { t: performance.now(), m: machineTimes(), own: own() }
    const seconds = (end.t - start.t) / 1000
    if (seconds <= 0) return { foreignCores: 0, ownCores: 0, stealCores: 0, seconds: 0 }
    const busy = (end.m.busy - start.m.busy) / TICKS
    const ownCpu = (end.own - start.own) / TICKS
    return {
      foreignCores: Math.max(0, (busy - ownCpu) / seconds),
      ownCores: ownCpu / seconds,
      stealCores: (end.m.steal - start.m.steal) / TICKS / seconds,
      seconds,
    }
  }
}

/** 1-minute load average. */
export function load1() {
  return loadavg()[0]
}

/** Wait (polling every 5 s) until the 1-minute load average is at most `max`, for up to `waitSeconds`. */
export async function waitForQuiet(max, waitSeconds, log) {
  const deadline = Date.now() + waitSeconds * 1000
  let current = load1()
  let told = false
  while (current > max && Date.now() < deadline) {
    if (!told) {
      log(
        `  load average ${current.toFixed(2)} > ${max}: waiting up to ${waitSeconds} s for the machine to settle`,
      )
      told = true
    }
    await sleep(5000)
    current = load1()
  }
  return current
}

/** What the result records about the machine. */
export function machineInfo(root) {
  let cpuModel = cpus()[0]?.model ?? 'unknown'
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) cpuModel = m[1].trim()
  } catch {}
  return {
    nproc: availableParallelism(),
    cpuModel,
    totalMemoryMB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    gitSha: gitSha(root),
  }
}

function gitSha(root) {
  try {
    const head = readFileSync(join(root, '.git/HEAD'), 'utf8').trim()
    if (!head.startsWith('ref: ')) return head
    const ref = head.slice(5)
    const loose = join(root, '.git', ref)
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim()
    const packed = readFileSync(join(root, '.git/packed-refs'), 'utf8')
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`))
    return line ? line.split(' ')[0] : null
  } catch {
    return null
  }
}
