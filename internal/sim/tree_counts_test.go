package sim

import (
	"fmt"
	"testing"
)

// TestListingCountsAgreeWithShowGroup: the subgroup_count and project_count
// of every group in a tree listing (counted for the whole listing at once)
// equal what ShowGroup says of that group (counted for it alone), nested
// groups and archived repositories included.
func TestListingCountsAgreeWithShowGroup(t *testing.T) {
	fx := basicWith(t, "",
		"  - {path: empty}\n", "  - {path: empty}\n  - {path: payments/web}\n  - {path: payments/api/v2}\n  - {path: payments/api/v2/deep}\n",
		"  - path: payments/ledger\n", "  - {path: payments/api/v2/svc}\n  - {path: payments/api/old, archived: true}\n  - path: payments/ledger\n")
	_, hs, _ := newServerWith(t, fx, Options{})
	type item = map[string]any
	list := func(path string) []any {
		r := call(t, hs, "token", "GET", path+"?limit=100", "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		return r.json(t).([]any)
	}
	queue := []string{"/v4/projects/" + testProject + "/subgroups-and-repositories"}
	checked := 0
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		for _, v := range list(path) {
			it := v.(item)
			if it["descendant_type"] != "group" {
				continue
			}
			id := int64(it["id"].(float64))
			show := call(t, hs, "token", "GET", fmt.Sprintf("/v4/%s/groups/%d", testProject, id), "").json(t).(item)
			if it["subgroup_count"] != show["subgroup_count"] || it["project_count"] != show["repository_count"] {
				t.Errorf("group %v: listed with %v sub-groups and %v repositories, ShowGroup says %v and %v",
					it["path"], it["subgroup_count"], it["project_count"], show["subgroup_count"], show["repository_count"])
			}
			checked++
			queue = append(queue, fmt.Sprintf("/v4/groups/%d/subgroups-and-repositories", id))
		}
	}
	if checked < 6 {
		t.Errorf("checked %d groups; the fixture has 6", checked)
	}
}
