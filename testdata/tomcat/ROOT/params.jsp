<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" import="java.util.*" %><%
// Every request parameter (query and urlencoded form), sorted: name=v1|v2.
request.setCharacterEncoding("UTF-8");
TreeMap<String, String[]> m = new TreeMap<>(request.getParameterMap());
out.print("method=" + request.getMethod() + "\nquery=" + request.getQueryString() + "\n");
for (Map.Entry<String, String[]> e : m.entrySet()) out.print(e.getKey() + "=" + String.join("|", e.getValue()) + "\n");
%>
