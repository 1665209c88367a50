package bench

import (
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a comparison ran.
type Machine struct {
	Date     string `json:"date"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Nginx    string `json:"nginx,omitempty"`
	HAProxy  string `json:"haproxy,omitempty"`
	// LoadAvg is /proc/loadavg when the comparison began: the machine is
	// shared, and this says how busy it was.
	LoadAvg    string `json:"loadavg"`
	ServerCore int    `json:"server_core"`
	LoadCore   int    `json:"load_core"`
	// LoadCPUs is the CPU list the load generator was allowed to run on.
	LoadCPUs string `json:"load_cpus"`
}

// describeMachine reads the machine's description from /proc and the
// peers' version commands.
func describeMachine(serverCore, loadCore int) Machine {
	m := Machine{
		Date:       time.Now().UTC().Format(time.RFC3339),
		CPUs:       onlineCPUs(),
		CPUModel:   procField("/proc/cpuinfo", "model name"),
		Kernel:     procLine("/proc/sys/kernel/osrelease"),
		Go:         runtime.Version(),
		LoadAvg:    procLine("/proc/loadavg"),
		ServerCore: serverCore,
		LoadCore:   loadCore,
		LoadCPUs:   procField("/proc/self/status", "Cpus_allowed_list"),
	}
	if installed(ServerNginx) {
		m.Nginx = version("nginx", "-v")
	}
	if installed(ServerHAProxy) {
		m.HAProxy = version("haproxy", "-v")
	}
	return m
}

// procLine returns the first line of a /proc file, trimmed.
func procLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// procField returns the value of the first "key: value" line of a /proc
// file with this key.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// onlineCPUs counts the processors of /proc/cpuinfo: the machine's, where
// runtime.NumCPU counts those this pinned process may use.
func onlineCPUs() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if k, _, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "processor" {
			n++
		}
	}
	return n
}
