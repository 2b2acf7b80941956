<%@ page contentType="text/plain" session="false" trimDirectiveWhitespaces="true"
    import="java.lang.management.ManagementFactory,javax.management.MBeanServer,javax.management.ObjectName" %><%
// Reads this node's session manager through JMX without touching any
// session (no cookie, no access time, no JvmRouteBinderValve rebinding):
// "node=N sessions=K", and with ?id=ID (a full id or its base, the text
// before the first '.') " known=true id=FULLID count=C" or " known=false".
MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
ObjectName mgr = new ObjectName("Catalina:type=Manager,host=localhost,context=/cluster");
String all = (String) mbs.invoke(mgr, "listSessionIds", null, null);
String[] ids = all.trim().isEmpty() ? new String[0] : all.trim().split(" ");
String want = request.getParameter("id");
String line = "node=" + System.getProperty("rig.node") + " sessions=" + ids.length;
if (want != null) {
    int dot = want.indexOf('.');
    String base = dot < 0 ? want : want.substring(0, dot);
    String found = null;
    for (String id : ids) {
        int d = id.indexOf('.');
        if ((d < 0 ? id : id.substring(0, d)).equals(base)) { found = id; break; }
    }
    if (found == null) {
        line += " known=false";
    } else {
        Object c = mbs.invoke(mgr, "getSessionAttribute", new Object[] {found, "count"},
                new String[] {"java.lang.String", "java.lang.String"});
        line += " known=true id=" + found + " count=" + c;
    }
}
%><%= line %>
