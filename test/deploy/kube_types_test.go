package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Minimal Kubernetes types: only the fields the manifests of deploy/ use,
// with their Kubernetes names. Documents are decoded strictly against them,
// so a misspelt or misplaced field fails the test; a new field must be added
// here first (with the name from the Kubernetes API reference).

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type typeMeta struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type secret struct {
	typeMeta   `yaml:",inline"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

type configMap struct {
	typeMeta `yaml:",inline"`
	Data     map[string]string `yaml:"data"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type workload struct { // Deployment, StatefulSet
	typeMeta `yaml:",inline"`
	Spec     struct {
		Replicas                             *int              `yaml:"replicas"`
		ServiceName                          string            `yaml:"serviceName"`
		Selector                             labelSelector     `yaml:"selector"`
		PersistentVolumeClaimRetentionPolicy map[string]string `yaml:"persistentVolumeClaimRetentionPolicy"`
		Template                             podTemplate       `yaml:"template"`
		VolumeClaimTemplates                 []pvc             `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	SecurityContext               *podSecurityContext `yaml:"securityContext"`
	TerminationGracePeriodSeconds *int                `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container         `yaml:"containers"`
	InitContainers                []container         `yaml:"initContainers"`
	Volumes                       []volume            `yaml:"volumes"`
}

type podSecurityContext struct {
	RunAsNonRoot   *bool             `yaml:"runAsNonRoot"`
	RunAsUser      *int64            `yaml:"runAsUser"`
	RunAsGroup     *int64            `yaml:"runAsGroup"`
	FSGroup        *int64            `yaml:"fsGroup"`
	SeccompProfile map[string]string `yaml:"seccompProfile"`
}

type container struct {
	Name            string                    `yaml:"name"`
	Image           string                    `yaml:"image"`
	Command         []string                  `yaml:"command"`
	Args            []string                  `yaml:"args"`
	Ports           []containerPort           `yaml:"ports"`
	Env             []envVar                  `yaml:"env"`
	Resources       resources                 `yaml:"resources"`
	LivenessProbe   *probe                    `yaml:"livenessProbe"`
	ReadinessProbe  *probe                    `yaml:"readinessProbe"`
	SecurityContext *containerSecurityContext `yaml:"securityContext"`
	VolumeMounts    []volumeMount             `yaml:"volumeMounts"`
}

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
		FieldRef *struct {
			APIVersion string `yaml:"apiVersion"`
			FieldPath  string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

type resources struct {
	Requests map[string]string `yaml:"requests"`
	Limits   map[string]string `yaml:"limits"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"` // number or port name
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

type containerSecurityContext struct {
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	Capabilities             *struct {
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name  string `yaml:"name"`
		Items []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"configMap"`
	EmptyDir map[string]any `yaml:"emptyDir"`
}

type pvc struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		AccessModes      []string  `yaml:"accessModes"`
		StorageClassName *string   `yaml:"storageClassName"`
		Resources        resources `yaml:"resources"`
	} `yaml:"spec"`
}

type service struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Type      string            `yaml:"type"`
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []struct {
			Name        string `yaml:"name"`
			Port        int    `yaml:"port"`
			TargetPort  any    `yaml:"targetPort"` // number or port name
			Protocol    string `yaml:"protocol"`
			AppProtocol string `yaml:"appProtocol"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type podDisruptionBudget struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		MinAvailable   any           `yaml:"minAvailable"`
		MaxUnavailable any           `yaml:"maxUnavailable"`
		Selector       labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

// otelCollector is opentelemetry.io/v1beta1 OpenTelemetryCollector
// (opentelemetry-operator apis/v1beta1).
type otelCollector struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Mode         string         `yaml:"mode"`
		Image        string         `yaml:"image"`
		Args         map[string]any `yaml:"args"`
		Env          []envVar       `yaml:"env"`
		Resources    resources      `yaml:"resources"`
		Volumes      []volume       `yaml:"volumes"`
		VolumeMounts []volumeMount  `yaml:"volumeMounts"`
		Config       map[string]any `yaml:"config"`
	} `yaml:"spec"`
}

// manifest is the objects of one YAML file, decoded strictly by kind.
type manifest struct {
	file        string
	secrets     []secret
	configMaps  []configMap
	workloads   []workload // Deployment and StatefulSet
	services    []service
	pdbs        []podDisruptionBudget
	collectors  []otelCollector
	apiVersions map[string]string // kind -> apiVersion
}

// wantAPIVersion is the apiVersion each kind must use.
var wantAPIVersion = map[string]string{
	"Secret":                 "v1",
	"ConfigMap":              "v1",
	"Service":                "v1",
	"Deployment":             "apps/v1",
	"StatefulSet":            "apps/v1",
	"PodDisruptionBudget":    "policy/v1",
	"OpenTelemetryCollector": "opentelemetry.io/v1beta1",
}

// decodeStrict decodes one YAML document into v, rejecting unknown fields.
func decodeStrict(doc []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func readManifestFile(rel string) (*manifest, error) {
	src, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		return nil, err
	}
	m := &manifest{file: rel, apiVersions: map[string]string{}}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for i := 1; ; i++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", rel, i, err)
		}
		doc, err := yaml.Marshal(&node)
		if err != nil {
			return nil, err
		}
		var tm typeMeta
		if err := node.Decode(&tm); err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", rel, i, err)
		}
		if want, ok := wantAPIVersion[tm.Kind]; !ok {
			return nil, fmt.Errorf("%s: document %d: kind %q is not expected in deploy/kubernetes (extend the test)", rel, i, tm.Kind)
		} else if tm.APIVersion != want {
			return nil, fmt.Errorf("%s: %s %s: apiVersion %q, want %q", rel, tm.Kind, tm.Metadata.Name, tm.APIVersion, want)
		}
		if tm.Metadata.Name == "" {
			return nil, fmt.Errorf("%s: document %d (%s): metadata.name is empty", rel, i, tm.Kind)
		}
		var target any
		switch tm.Kind {
		case "Secret":
			m.secrets = append(m.secrets, secret{})
			target = &m.secrets[len(m.secrets)-1]
		case "ConfigMap":
			m.configMaps = append(m.configMaps, configMap{})
			target = &m.configMaps[len(m.configMaps)-1]
		case "Deployment", "StatefulSet":
			m.workloads = append(m.workloads, workload{})
			target = &m.workloads[len(m.workloads)-1]
		case "Service":
			m.services = append(m.services, service{})
			target = &m.services[len(m.services)-1]
		case "PodDisruptionBudget":
			m.pdbs = append(m.pdbs, podDisruptionBudget{})
			target = &m.pdbs[len(m.pdbs)-1]
		case "OpenTelemetryCollector":
			m.collectors = append(m.collectors, otelCollector{})
			target = &m.collectors[len(m.collectors)-1]
		}
		if err := decodeStrict(doc, target); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %v", rel, tm.Kind, tm.Metadata.Name, err)
		}
	}
	return m, nil
}
