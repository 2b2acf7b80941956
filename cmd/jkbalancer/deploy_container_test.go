package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const dockerfilePath = "deploy/container/Dockerfile"

// dockerInstr is one Dockerfile instruction, continuation lines joined.
type dockerInstr struct {
	line int
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

// dockerStage is one FROM and the instructions after it.
type dockerStage struct {
	image, name string
	instrs      []dockerInstr
}

func parseDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var buf strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, dockerfilePath)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if buf.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(cont + " ")
			continue
		}
		buf.WriteString(line)
		cmd, args, _ := strings.Cut(buf.String(), " ")
		buf.Reset()
		in := dockerInstr{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := dockerStage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s:%d: %s before FROM", dockerfilePath, start, in.cmd)
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	if len(stages) == 0 {
		t.Fatal("the Dockerfile has no FROM")
	}
	return stages
}

func (s dockerStage) all(cmd string) []dockerInstr {
	var out []dockerInstr
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// dockerfileUser is the numeric uid the run stage's USER sets.
func dockerfileUser(t *testing.T) int64 {
	t.Helper()
	stages := parseDockerfile(t)
	users := stages[len(stages)-1].all("USER")
	if len(users) == 0 {
		t.Fatal("the run stage sets no USER: the balancer would run as root")
	}
	uid, _, _ := strings.Cut(users[len(users)-1].args, ":")
	n, err := strconv.ParseInt(uid, 10, 64)
	if err != nil {
		t.Fatalf("USER %q: not numeric, so Kubernetes' runAsNonRoot cannot verify it", users[len(users)-1].args)
	}
	return n
}

// TestDockerfile: a multi-stage build whose run stage is not the Go image
// and runs as a non-root numeric user, built by a Go at least as new as
// go.mod asks for, exposing the ports the configurations listen on.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stage(s): want a build stage and a run stage", len(stages))
	}
	build, run := stages[0], stages[len(stages)-1]
	if strings.Contains(run.image, "golang") {
		t.Errorf("the run stage is %s: the toolchain would ship in the image", run.image)
	}
	if uid := dockerfileUser(t); uid == 0 {
		t.Error("USER 0 is root")
	}
	m := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(build.image)
	g := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil || g == nil {
		t.Fatalf("build stage %s, go.mod %v: want golang:X.Y and a go directive", build.image, g)
	}
	if atoi(m[1])*1000+atoi(m[2]) < atoi(g[1])*1000+atoi(g[2]) {
		t.Errorf("build stage %s is older than go.mod's go %s.%s", build.image, g[1], g[2])
	}
	gb := dockerGoBuild(t, build)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "./cmd/jkbalancer"} {
		if !strings.Contains(gb.args, want) {
			t.Errorf("%s:%d: the go build line lacks %s", dockerfilePath, gb.line, want)
		}
	}
	var exposed []int
	for _, in := range run.all("EXPOSE") {
		for _, f := range strings.Fields(in.args) {
			exposed = append(exposed, atoi(strings.TrimSuffix(f, "/tcp")))
		}
	}
	_, cm := loadConfigMap(t)
	want := []int{listenPort(t, cm.Server.Admin.Listen)}
	for _, l := range cm.Server.Listen {
		want = append(want, listenPort(t, l.Addr))
	}
	for _, p := range want {
		if !slices.Contains(exposed, p) {
			t.Errorf("EXPOSE %v lacks port %d, where the Kubernetes configuration listens", exposed, p)
		}
	}
	if len(run.all("VOLUME")) == 0 || !strings.Contains(run.all("VOLUME")[0].args, "/var/lib/jkbalancer") {
		t.Error("no VOLUME for /var/lib/jkbalancer (the state_file)")
	}
	state := ""
	for _, in := range run.all("ENV") {
		if v, ok := strings.CutPrefix(in.args, "STATE_DIRECTORY="); ok {
			state = v
		}
	}
	if state != "/var/lib/jkbalancer" {
		t.Errorf("ENV STATE_DIRECTORY=%q: want the VOLUME /var/lib/jkbalancer, where serve keeps the status worker's edits", state)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// dockerGoBuild is the RUN instruction of the build stage that runs go build.
func dockerGoBuild(t *testing.T, build dockerStage) dockerInstr {
	t.Helper()
	for _, in := range build.all("RUN") {
		if strings.Contains(in.args, "go build") {
			return in
		}
	}
	t.Fatal("the build stage has no RUN with go build")
	return dockerInstr{}
}

// TestDockerBuildStage replays the build stage on this machine, since no
// Docker daemon is here: the context as .dockerignore filters it, every
// RUN line of the stage in order (with /out in a temporary directory),
// then the run stage's COPY --from sources must exist and the binary must
// report the version it was given and accept the configuration the image
// ships.
func TestDockerBuildStage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	stages := parseDockerfile(t)
	build, run := stages[0], stages[len(stages)-1]
	if build.name == "" {
		t.Fatal("the build stage has no name (FROM ... AS build)")
	}
	tmp := t.TempDir()
	ctx, out := filepath.Join(tmp, "src"), filepath.Join(tmp, "out")
	copyBuildContext(t, repoRoot, ctx)
	const version = "v9.8.7-deploytest"
	args := map[string]string{}
	for _, in := range build.all("ARG") {
		k, v, _ := strings.Cut(in.args, "=")
		args[k] = v
	}
	args["VERSION"] = version
	for _, in := range build.all("RUN") {
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(in.args, "/out", out))
		cmd.Dir = ctx
		cmd.Env = os.Environ()
		for k, v := range args {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s:%d: RUN %s: %v\n%s", dockerfilePath, in.line, in.args, err, b)
		}
	}
	for _, in := range run.all("COPY") {
		f := strings.Fields(in.args)
		if !slices.Contains(f, "--from="+build.name) {
			continue
		}
		src := f[len(f)-2]
		if _, err := os.Stat(strings.Replace(src, "/out", out, 1)); err != nil {
			t.Errorf("%s:%d: COPY %s: not made by the build stage: %v", dockerfilePath, in.line, src, err)
		}
	}
	bin := filepath.Join(out, "jkbalancer")
	if b, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(b), version) {
		t.Errorf("jkbalancer version: %v, %q: want %s from -ldflags", err, b, version)
	}
	if b, err := exec.Command("go", "version", "-m", bin).CombinedOutput(); err != nil ||
		!strings.Contains(string(b), "CGO_ENABLED=0") || !strings.Contains(string(b), "-trimpath=true") {
		t.Errorf("go version -m: %v; want a static, trimmed build:\n%s", err, b)
	}
	check := exec.Command(bin, "check", "--config", filepath.Join(out, "etc/jkbalancer/jkbalancer.yaml"))
	check.Env = append(os.Environ(), "AJP_SECRET="+testSecret)
	if b, err := check.CombinedOutput(); err != nil {
		t.Errorf("the image's configuration: jkbalancer check: %v\n%s", err, b)
	}
}
