package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// manifests holds every YAML document under deploy/kubernetes by kind.
type manifests struct {
	files []string // the manifest files, without kustomization.yaml
	docs  map[string][]*yaml.Node
}

func kubeManifests(t *testing.T) *manifests {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes: %v", err)
	}
	m := &manifests{docs: map[string][]*yaml.Node{}}
	for _, p := range paths {
		if filepath.Base(p) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(p))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; i < 100; i++ { // a manifest file holds a few documents
			doc := new(yaml.Node)
			if err := dec.Decode(doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			var head struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
			}
			if err := doc.Decode(&head); err != nil || head.Kind == "" || head.APIVersion == "" {
				t.Fatalf("%s document %d: no kind or apiVersion (%v)", p, i+1, err)
			}
			m.docs[head.Kind] = append(m.docs[head.Kind], doc)
		}
	}
	return m
}

// one decodes the single object of a kind into out.
func (m *manifests) one(t *testing.T, kind string, out any) {
	t.Helper()
	if n := len(m.docs[kind]); n != 1 {
		t.Fatalf("want exactly one %s in deploy/kubernetes, found %d", kind, n)
	}
	if err := m.docs[kind][0].Decode(out); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

func (m *manifests) configMap(t *testing.T) *configMap {
	cm := new(configMap)
	m.one(t, "ConfigMap", cm)
	return cm
}

// portNumber resolves a probe's or Service's target port, a number or a
// name, against the container's ports; 0 when it names no port.
func (c *container) portNumber(port string) int {
	if n, err := strconv.Atoi(port); err == nil {
		return n
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return p.ContainerPort
		}
	}
	return 0
}

// selects reports whether a label selector matches the labels: every
// selector label present with the same value, and at least one.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestDeployKubernetes checks the invariants between the manifests and
// the configuration in the ConfigMap.
func TestDeployKubernetes(t *testing.T) {
	m := kubeManifests(t)
	cm, cfg := loadConfigMap(t)
	var d deployment
	m.one(t, "Deployment", &d)
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas < 2 {
		t.Errorf("replicas %d: several balancers side by side is the point", d.Spec.Replicas)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, found %d", len(pod.Containers))
	}
	c := &pod.Containers[0]
	checkKubeSecurity(t, pod, c)
	checkKubeConfigMount(t, pod, c, cm)
	checkKubeProbes(t, c, cfg.Server.Admin.Listen, cfg.Server.Admin.AllowRemote)
	checkKubeDrain(t, pod, c, cfg.Server.ShutdownTimeout)
	checkKubeEnv(t, c, cm.Data["workers.properties"])
	checkKubeState(t, pod, c)
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}

	var svc service
	m.one(t, "Service", &svc)
	if !selects(svc.Spec.Selector, d.Spec.Template.Metadata.Labels) {
		t.Errorf("the Service's selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Metadata.Labels)
	}
	var front []int
	for _, l := range cfg.Server.Listen {
		front = append(front, listenPort(t, l.Addr))
	}
	if len(svc.Spec.Ports) == 0 {
		t.Error("the Service has no port")
	}
	for _, p := range svc.Spec.Ports {
		if n := c.portNumber(p.TargetPort); !slices.Contains(front, n) {
			t.Errorf("Service port %d targets %q = container port %d, but jkbalancer.yaml listens on %v", p.Port, p.TargetPort, n, front)
		}
	}

	var pdb podDisruptionBudget
	m.one(t, "PodDisruptionBudget", &pdb)
	if !selects(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("the PodDisruptionBudget's selector %v does not select the pods %v", pdb.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	switch s := pdb.Spec; {
	case s.MaxUnavailable != nil && (*s.MaxUnavailable < 1 || *s.MaxUnavailable >= d.Spec.Replicas):
		t.Errorf("maxUnavailable %d with %d replicas: evictions would block or take every pod", *s.MaxUnavailable, d.Spec.Replicas)
	case s.MinAvailable != nil && (*s.MinAvailable < 1 || *s.MinAvailable >= d.Spec.Replicas):
		t.Errorf("minAvailable %d with %d replicas: evictions would block or take every pod", *s.MinAvailable, d.Spec.Replicas)
	case s.MaxUnavailable == nil && s.MinAvailable == nil:
		t.Error("the PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
	}
	checkKustomization(t, m.files)
}

func checkKubeSecurity(t *testing.T, pod podSpec, c *container) {
	t.Helper()
	psc, csc := pod.SecurityContext, c.SecurityContext
	if (psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot) && (csc.RunAsNonRoot == nil || !*csc.RunAsNonRoot) {
		t.Error("runAsNonRoot is not set")
	}
	uid := psc.RunAsUser
	if csc.RunAsUser != nil {
		uid = csc.RunAsUser
	}
	if uid == nil || *uid == 0 {
		t.Error("no non-root runAsUser")
	} else if want := dockerfileUser(t); *uid != want {
		t.Errorf("runAsUser %d, but the image's USER is %d: the state and config directories belong to it", *uid, want)
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not set")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if !slices.Contains(csc.Capabilities.Drop, "ALL") {
		t.Errorf("capabilities drop %v, want ALL", csc.Capabilities.Drop)
	}
}

// checkKubeConfigMount: the container reads --config from the directory
// the ConfigMap is mounted at, and the file exists in the ConfigMap.
func checkKubeConfigMount(t *testing.T, pod podSpec, c *container, cm *configMap) {
	t.Helper()
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("container args %v: no --config", c.Args)
	}
	path := c.Args[i+1]
	if _, ok := cm.Data[filepath.Base(path)]; !ok {
		t.Errorf("--config %s: the ConfigMap has no %s", path, filepath.Base(path))
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name && vm.MountPath == filepath.Dir(path) {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("ConfigMap %s is not mounted at %s, where --config %s is", cm.Metadata.Name, filepath.Dir(path), path)
	}
}

// checkKubeProbes: readiness on /readyz and liveness on /healthz, both on
// the port the ConfigMap's admin listener binds, on an address the
// kubelet can reach (not loopback).
func checkKubeProbes(t *testing.T, c *container, adminListen string, allowRemote bool) {
	t.Helper()
	host, _, _ := net.SplitHostPort(adminListen)
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) || !allowRemote {
		t.Errorf("admin.listen %q (allow_remote %v): the kubelet probes the pod IP, so it must not be loopback", adminListen, allowRemote)
	}
	port := listenPort(t, adminListen)
	for _, p := range []struct {
		name, path string
		probe      *kubeProbe
	}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
		switch {
		case p.probe == nil || p.probe.HTTPGet == nil:
			t.Errorf("no %s.httpGet", p.name)
		case p.probe.HTTPGet.Path != p.path:
			t.Errorf("%s path %q, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		case c.portNumber(p.probe.HTTPGet.Port) != port:
			t.Errorf("%s port %q = %d, but admin.listen is %s", p.name, p.probe.HTTPGet.Port, c.portNumber(p.probe.HTTPGet.Port), adminListen)
		}
	}
}

// checkKubeDrain: the grace period covers the preStop pause and the
// whole SIGTERM drain, or Kubernetes kills requests still in flight.
func checkKubeDrain(t *testing.T, pod podSpec, c *container, shutdown time.Duration) {
	t.Helper()
	pre := 0
	if ps := c.Lifecycle.PreStop; ps != nil && ps.Sleep != nil {
		pre = ps.Sleep.Seconds
	}
	if pre <= 0 {
		t.Error("no preStop sleep: new connections would meet a closed port while the endpoints update")
	}
	need := time.Duration(pre)*time.Second + shutdown + time.Second
	if got := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; got < need {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %ds + shutdown_timeout %v + 1s", got, pre, shutdown)
	}
}

// checkKubeEnv: every $(NAME) of workers.properties is set in the
// container, from a Secret.
func checkKubeEnv(t *testing.T, c *container, workers string) {
	t.Helper()
	for _, ref := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(workers, -1) {
		found := false
		for _, e := range c.Env {
			if e.Name == ref[1] && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("workers.properties uses $(%s), but the container has no env %s from a Secret", ref[1], ref[1])
		}
	}
}

// checkKubeState: STATE_DIRECTORY names a writable volume (the root file
// system is read-only), so serve keeps the edits there without a warning.
func checkKubeState(t *testing.T, pod podSpec, c *container) {
	t.Helper()
	dir := ""
	for _, e := range c.Env {
		if e.Name == "STATE_DIRECTORY" {
			dir = e.Value
		}
	}
	if dir == "" {
		t.Fatal("no env STATE_DIRECTORY: serve would warn that status edits do not survive a restart")
	}
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != dir {
			continue
		}
		if vm.ReadOnly {
			t.Errorf("the volume at STATE_DIRECTORY %s is mounted read-only", dir)
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.EmptyDir == nil {
				t.Errorf("volume %s at STATE_DIRECTORY is not an emptyDir", v.Name)
			}
		}
		return
	}
	t.Errorf("STATE_DIRECTORY %s is no volume mount: the root file system is read-only", dir)
}

// checkKustomization: kubectl apply -k applies every manifest, and
// kubectl (where installed) builds it.
func checkKustomization(t *testing.T, files []string) {
	t.Helper()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "deploy/kubernetes/kustomization.yaml")), &k); err != nil {
		t.Fatal(err)
	}
	slices.Sort(k.Resources)
	slices.Sort(files)
	if !slices.Equal(k.Resources, files) {
		t.Errorf("kustomization.yaml resources %v, manifests %v", k.Resources, files)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: kustomize build not checked")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(repoRoot, "deploy/kubernetes")).CombinedOutput()
	if err != nil {
		t.Errorf("kubectl kustomize: %v\n%s", err, out)
	}
}
