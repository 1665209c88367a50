package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: Linux reports them
// in USER_HZ, which is 100 on every architecture Go runs on.
const userHZ = 100

// Process is a server under test, counted with its descendants (an nginx
// master and its worker). The zero Process counts nothing.
type Process struct {
	PID int
}

// CPU returns the user plus system CPU seconds the process and its
// descendants have used, from /proc/PID/stat.
func (p Process) CPU() (float64, error) {
	if p.PID == 0 {
		return 0, nil
	}
	var ticks int64
	for _, pid := range p.tree() {
		f, err := statFields(pid)
		if err != nil {
			return 0, err
		}
		// utime and stime are fields 14 and 15 of stat(5); f starts at 3.
		for _, field := range f[11:13] {
			n, err := strconv.ParseInt(field, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("cpu of %d: %w", pid, err)
			}
			ticks += n
		}
	}
	return float64(ticks) / userHZ, nil
}

// RSS returns the resident memory of the process and its descendants, in
// bytes, from the VmRSS line of /proc/PID/status.
func (p Process) RSS() (int64, error) {
	if p.PID == 0 {
		return 0, nil
	}
	var total int64
	for _, pid := range p.tree() {
		kb, err := vmRSS(pid)
		if err != nil {
			return 0, err
		}
		total += kb << 10
	}
	return total, nil
}

// vmRSS reads the VmRSS of pid in kB.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		kb, _ := strings.CutSuffix(strings.TrimSpace(string(rest)), " kB")
		return strconv.ParseInt(strings.TrimSpace(kb), 10, 64)
	}
	return 0, fmt.Errorf("rss of %d: no VmRSS line", pid)
}

// tree returns p's PID and those of its descendants that are alive.
func (p Process) tree() []int {
	parents := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		f, err := statFields(pid)
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parents[ppid] = append(parents[ppid], pid)
	}

	out := []int{p.PID}
	for i := 0; i < len(out); i++ {
		out = append(out, parents[out[i]]...)
	}
	return out
}

// statFields returns the fields of /proc/PID/stat after the command name,
// which may hold spaces: f[0] is the state, field 3 of stat(5).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("stat of %d: %w", pid, err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("stat of %d: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("stat of %d: %d fields", pid, len(f))
	}
	return f, nil
}
