//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless Chromium run.
const chromiumTimeout = 60 * time.Second

// chromiumBinary returns the first Chromium found on PATH, or skips the test:
// CI does not install a browser.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH")
	return ""
}

// runChromium runs headless Chromium with console logging on stderr and a
// fresh profile, killing its whole process group if it outlives
// chromiumTimeout. It returns stdout and stderr.
func runChromium(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	profile := t.TempDir()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir=" + profile,
		"--enable-logging=stderr", "--v=0",
	}
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	// Keep Chromium's caches and crash reports out of the real home.
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile)
	// Chromium forks zygote, renderer and utility processes: put them all in
	// one process group so a timeout kills every one of them, and stop
	// waiting for pipes a straggler might still hold open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		// Reap anything left behind in the group; ESRCH when it is empty.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Logf("chromium %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium did not finish within %v; killed\nstderr:\n%s", chromiumTimeout, stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// consoleLine matches a page console message in Chromium's log, e.g.
// [..:INFO:CONSOLE(3)] "Uncaught ReferenceError: ...", source: file:///... (3)
var consoleLine = regexp.MustCompile(`:CONSOLE[(:]|Uncaught `)

// checkNoConsoleMessages fails on any page console message: the report has
// no scripts, so the page should never log anything.
func checkNoConsoleMessages(t *testing.T, what, stderr string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if consoleLine.MatchString(line) {
			t.Errorf("%s: console message from the page: %s", what, line)
		}
	}
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)

	badError  = regexp.MustCompile(`error`)
	badNoData = regexp.MustCompile(`no data\.`)
	badNumber = regexp.MustCompile(`\b(nan|[+-]?inf)\b`)
	badVerb   = regexp.MustCompile(`%!`) // a broken fmt verb
)

// TestReportRendersInChromium opens the HTML report in a real browser: it
// must render the charts, contain no scripts and log no console errors.
func TestReportRendersInChromium(t *testing.T) {
	bin := chromiumBinary(t)

	start := time.Now()
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	report := filepath.Join(t.TempDir(), "report.html")
	spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "minute", "--format", "html", "--out", report)
	t.Logf("ingest and report: %v", time.Since(start).Round(time.Millisecond))
	url := "file://" + report

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "report.png")
		_, stderr := runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars", url)
		checkNoConsoleMessages(t, "screenshot", stderr)
		if dir := os.Getenv("SPANLAKE_KEEP_SCREENSHOT"); dir != "" {
			data, _ := os.ReadFile(shot)
			_ = os.WriteFile(filepath.Join(dir, "report.png"), data, 0o644)
		}
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("screenshot is not a PNG: %v", err)
		}
		b := img.Bounds()
		if b.Dx() != 1280 || b.Dy() != 2000 {
			t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
		}
		// The title and the summary table take the top ~620 px; the charts
		// (requests, durations, status mix, status codes, vhosts, ...) fill
		// the rest of the 960 px content column.
		area := image.Rect(b.Min.X, b.Min.Y+b.Dy()/3, b.Min.X+1000, b.Max.Y).Intersect(b)
		colours := map[[3]uint32]bool{}
		var inked, blue int
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				colours[[3]uint32{r, g, bl}] = true
				if r < 0xf0 || g < 0xf0 || bl < 0xf0 {
					inked++
				}
				// The request line and the bars are #3366cc.
				if near(r, 0x33) && near(g, 0x66) && near(bl, 0xcc) {
					blue++
				}
			}
		}
		total := area.Dx() * area.Dy()
		t.Logf("chart area %v: %d distinct colours, %d of %d pixels non-white (%.1f%%), %d #3366cc pixels",
			area, len(colours), inked, total, 100*float64(inked)/float64(total), blue)
		if len(colours) < 32 {
			t.Errorf("chart area has only %d distinct colours: blank or unstyled page", len(colours))
		}
		if inked < total/100 {
			t.Errorf("chart area has only %d of %d non-white pixels", inked, total)
		}
		if blue < 2000 {
			t.Errorf("chart area has only %d pixels of the chart blue #3366cc: bars not drawn", blue)
		}
	})

	t.Run("dom", func(t *testing.T) {
		dom, stderr := runChromium(t, bin, "--dump-dom", url)
		checkNoConsoleMessages(t, "dump-dom", stderr)
		if n := strings.Count(dom, "<svg"); n < 6 {
			t.Errorf("rendered DOM has %d <svg> elements, want at least 6\n%s", n, dom)
		}
		for _, id := range []string{"requests-chart", "latency-chart", "status-mix-chart", "status-chart", "vhost-chart", "path-chart", "client-chart"} {
			if !strings.Contains(dom, `id="`+id+`"`) {
				t.Errorf("rendered DOM has no #%s", id)
			}
		}
		if strings.Contains(strings.ToLower(dom), "<script") {
			t.Error("rendered DOM contains a <script> element; the report must have none")
		}
		if !strings.Contains(dom, "<title>spanlake traffic report</title>") {
			t.Error("rendered DOM lost the page title")
		}
		// Visible text: no error from the report, the parser or a broken
		// value. The one legitimate "error" is the requests chart heading.
		text := strings.ToLower(spaceRE.ReplaceAllString(tagRE.ReplaceAllString(dom, " "), " "))
		text = strings.ReplaceAll(text, "requests and errors per", "")
		for _, bad := range []*regexp.Regexp{badError, badNoData, badNumber, badVerb} {
			if loc := bad.FindStringIndex(text); loc != nil {
				t.Errorf("rendered text matches %s: ...%s...", bad, text[max(0, loc[0]-60):min(len(text), loc[1]+60)])
			}
		}
	})
}

func near(v, want uint32) bool { return v+8 >= want && v <= want+8 }
