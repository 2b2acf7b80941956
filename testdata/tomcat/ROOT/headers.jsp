<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" import="java.util.*" %><%
// ?h=Name (repeatable): that header's values; total= sum of all header name and value lengths.
// Each call counts in the application's "headers.hits".
synchronized (application) {
  Integer n = (Integer) application.getAttribute("headers.hits");
  application.setAttribute("headers.hits", n == null ? 1 : n + 1);
}
long total = 0;
for (Enumeration<String> e = request.getHeaderNames(); e.hasMoreElements(); ) {
  String name = e.nextElement();
  for (Enumeration<String> v = request.getHeaders(name); v.hasMoreElements(); ) total += name.length() + v.nextElement().length();
}
out.print("node=" + System.getProperty("rig.node") + "\ntotal=" + total + "\n");
String[] hs = request.getParameterValues("h");
if (hs != null) for (String h : hs) {
  String v = request.getHeader(h);
  out.print(h + "=" + (v == null ? "<null>" : v) + "\nlen(" + h + ")=" + (v == null ? -1 : v.length()) + "\n");
}
%>
