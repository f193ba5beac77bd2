package api

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// service is one of the cloud services the client speaks to.
type service int

const (
	svcRepo service = iota
	svcServiceStage
	svcIAM
	svcProjectMan
)

func (s service) String() string { return services[s].name }

// key names s in Facts and Endpoints.
func (s service) key() string { return services[s].key }

// services names each service (key: in Facts and Endpoints; name: in
// messages) and gives its official hosts, from the region tables of
// docs/api-reference.md §16 (the official SDK's): host with the region in
// place of {region}, in the regions listed, unless the region has a host of
// its own (except).
var services = [...]struct {
	key, name string
	host      string
	regions   string // separated by spaces
	except    map[string]string
}{
	svcRepo: {"codearts-repo", "codearts repo", "codehub-ext.{region}.myhuaweicloud.com",
		"cn-north-1 cn-north-4 cn-east-2 cn-east-3 cn-south-1 cn-south-2 cn-southwest-2 " +
			"ap-southeast-3 la-north-2 sa-brazil-1",
		map[string]string{
			"la-south-2":  "codeartsrepo-ext.la-south-2.myhuaweicloud.com",
			"tr-west-1":   "codeartsrepo-ext.tr-west-1.myhuaweicloud.com",
			"eu-west-101": "codeartsrepo-ext.eu-west-101.myhuaweicloud.com",
			"me-east-1":   "repo.me-east-1.myhuaweicloud.com",
			"af-south-1":  "repo.af-south-1.myhuaweicloud.com",
			"af-north-1":  "repo.af-north-1.myhuaweicloud.com",
		}},
	svcServiceStage: {"servicestage", "servicestage", "servicestage.{region}.myhuaweicloud.com",
		"af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 " +
			"cn-east-2 cn-east-3 cn-east-4 cn-north-1 cn-north-4 cn-north-9 cn-north-12 cn-south-1 cn-south-4 " +
			"cn-southwest-2 la-north-2 la-south-2 me-east-1 my-kualalumpur-1 ru-moscow-1 sa-brazil-1 tr-west-1",
		nil},
	svcIAM: {"iam", "iam", "iam.{region}.myhuaweicloud.com",
		"ae-ad-1 af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 " +
			"cn-east-2 cn-east-3 cn-east-4 cn-east-5 cn-north-1 cn-north-2 cn-north-4 cn-north-9 cn-north-12 " +
			"cn-south-1 cn-south-2 cn-southwest-2 eu-west-0 la-north-2 la-south-2 me-east-1 my-kualalumpur-1 " +
			"na-mexico-1 ru-moscow-1 sa-brazil-1 tr-west-1",
		map[string]string{"eu-west-101": "iam.eu-west-101.myhuaweicloud.eu"}},
	svcProjectMan: {"projectman", "projectman", "projectman-ext.{region}.myhuaweicloud.com",
		"cn-north-1 cn-north-4 cn-east-2 cn-east-3 cn-south-1 cn-southwest-2 " +
			"ap-southeast-3 la-north-2 sa-brazil-1",
		nil},
}

// regionHost returns the official host of svc in region, or "" when the
// service is not offered there.
func regionHost(svc service, region string) string {
	h := services[svc]
	if except, ok := h.except[region]; ok {
		return except
	}
	if slices.Contains(strings.Fields(h.regions), region) {
		return strings.Replace(h.host, "{region}", region, 1)
	}
	return ""
}

// resolveEndpoints returns the base URL of every service: all equal to
// endpoint when it is set, otherwise the regional hosts. A service the region
// lacks is left out and reported when first called.
func resolveEndpoints(endpoint, region string, allowHTTP bool) (map[service]*url.URL, error) {
	out := map[service]*url.URL{}
	if endpoint != "" {
		u, err := parseEndpoint(endpoint, allowHTTP)
		if err != nil {
			return nil, err
		}
		for s := range services {
			out[service(s)] = u
		}
		return out, nil
	}
	if region == "" {
		return nil, fmt.Errorf("neither an endpoint nor a region is set")
	}
	for s := range services {
		if h := regionHost(service(s), region); h != "" {
			out[service(s)] = &url.URL{Scheme: "https", Host: h}
		}
	}
	if out[svcRepo] == nil {
		return nil, fmt.Errorf("region %q has no CodeArts Repo endpoint", region)
	}
	return out, nil
}

// parseEndpoint checks a base URL given with WithEndpoint. Every error shows
// the URL through RedactURL only: a mistyped endpoint must not echo a
// password it carries.
func parseEndpoint(raw string, allowHTTP bool) (*url.URL, error) {
	shown := RedactURL(raw)
	if strings.ContainsRune(raw, '@') {
		// Checked before parsing: url.Parse reads "https://u:1/pw@h" as host
		// "u" port 1 and path "/pw@h", and its errors quote the whole input.
		return nil, fmt.Errorf("endpoint %q must not carry user info (user:password@): credentials come from the environment, never from the URL", shown)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL", shown)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q must not carry user info, a query or a fragment", shown)
	}
	if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("endpoint %q is plain http to a host that is not loopback: credentials would cross the network in clear text; use https, or pass --allow-insecure-http if you really mean it", shown)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isLoopback reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1). A name other than localhost is not trusted to be
// loopback, whatever it resolves to today.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.WithZone("").IsLoopback()
}
