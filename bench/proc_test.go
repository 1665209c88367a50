package bench

import (
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessCountsDescendants(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	child := exec.Command("sleep", "10")
	require.NoError(t, child.Start())
	t.Cleanup(func() {
		child.Process.Kill()
		child.Wait()
	})

	self := Process{PID: os.Getpid()}
	assert.Contains(t, self.tree(), child.Process.Pid)

	cpu, err := self.CPU()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cpu, 0.0)
	rss, err := self.RSS()
	require.NoError(t, err)
	assert.Positive(t, rss)
}

func TestZeroProcessCountsNothing(t *testing.T) {
	cpu, err := Process{}.CPU()
	require.NoError(t, err)
	assert.Zero(t, cpu)
	rss, err := Process{}.RSS()
	require.NoError(t, err)
	assert.Zero(t, rss)
}

func TestProcessGone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	child := exec.Command("true")
	require.NoError(t, child.Run())

	_, err := Process{PID: child.Process.Pid}.CPU()
	assert.Error(t, err)
}
